/* example.c — dsim as a library: the shipped scenario "default" with a flat 10 % discount, one seed. */
#include <stdio.h>

#include <dsim/error.h>
#include <dsim/study.h>

int main(void)
{
    const char *policies[] = {"fixed10"};
    dsim_scenario *sc = NULL;
    dsim_policy_config *fixed10 = NULL;
    dsim_study_result result = {0};
    dsim_study_run run = DSIM_STUDY_RUN_INIT;
    int rc = dsim_study_load("default", policies, 1, &sc, &fixed10);
    if (rc == DSIM_OK) {
        run.scenario = sc, run.policy = fixed10, run.seed = 1, run.sim.visits = 20000;
        rc = dsim_study_simulate(&run, &result);
    }
    rc = rc ? rc : result.head.status;
    if (rc == DSIM_OK)
        printf("profit %.2f from %llu purchases\n", result.head.final.profit,
               (unsigned long long)result.head.final.purchases);
    else
        fprintf(stderr, "example: %s\n", result.head.error[0] ? result.head.error : dsim_errmsg());
    dsim_study_result_clear(&result);
    dsim_policy_config_free(fixed10);
    dsim_scenario_free(sc);
    return rc == DSIM_OK ? 0 : 1;
}
