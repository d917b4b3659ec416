/*
 * dash.c — the dashboard's screen: a status line, a table of the policies (the leader highlighted), a
 * chart of each policy's cumulative objective with the live shocks marked, the keys, and a help overlay.
 * The simulation runs in worker.c; this thread only reads its reports under the lock, ten times a second
 * or at once when a key is pressed, and restores the terminal on every way out.
 */
#include "cli/dash/dash.h"

#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/text.h"
#include "dsim/files.h"
#include "cli/dash/chart.h"
#include "dsim/error.h"
#include "dsim/chart.h"
#include "dsim/store.h"
#include "dsim/study.h"

/* Each policy's mark: shapes on a UTF-8 terminal, ASCII elsewhere (chosen when the screen starts). */
static const char *const ascii_marks[DASH_MAX_POLICIES] = {"*", "o", "+", "x", "#", "@", "%", "&"};
static const char *const utf8_marks[DASH_MAX_POLICIES] = {"●", "○", "◆", "◇", "■", "□", "▲", "△"};
static const char *const *marks = ascii_marks;
static const char *plus_minus = "+/-";

enum { PANEL_CHART, PANEL_LEVELS, PANEL_SEGMENTS }; /* what fills the space under the table */
static volatile sig_atomic_t stop_requested;
static bool screen_active;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void restore_terminal(void)
{
    if (screen_active) {
        endwin();
        screen_active = false;
    }
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int leader(const dash_view *s)
{
    int best = 0;
    for (int p = 1; p < s->n_policies; p++)
        if (s->metrics[p].reward > s->metrics[best].reward)
            best = p;
    return best;
}

static void draw_status(const dash_view *s, const dash_controls *c, double elapsed, const char *db, int width)
{
    char line[512];
    /* The state first: an 80-column terminal cuts the end. */
    char seeds[48];
    if (s->n_seeds > 1)
        snprintf(seeds, sizeof seeds, "seeds %llu-%llu", (unsigned long long)s->seed,
                 (unsigned long long)(s->seed + (uint64_t)s->n_seeds - 1));
    else
        snprintf(seeds, sizeof seeds, "seed %llu", (unsigned long long)s->seed);
    snprintf(line, sizeof line, " %s | %llu / %llu visits | speed %d | %s | %s | %.0f visits/s | %.0f s | db %s",
             s->error[0] ? "STOPPED" : s->finished ? "FINISHED" : c->paused ? "PAUSED" : "RUNNING",
             (unsigned long long)s->done, (unsigned long long)s->horizon, c->speed, seeds, s->sc->name, s->rate, elapsed,
             db);
    attron(A_REVERSE);
    mvaddnstr(0, 0, line, width);
    for (int x = (int)strlen(line); x < width; x++)
        addch(' ');
    attroff(A_REVERSE);
}

/* The table's numeric columns, each a figure of one seed's totals. */
typedef struct {
    const char *format, *hw_format;
    double (*of)(const dsim_metrics *m);
} table_column;

static double per_visit(double x, const dsim_metrics *m) { return m->visits ? x / (double)m->visits : 0.0; }
static double col_visits(const dsim_metrics *m) { return (double)m->visits; }
static double col_conversion(const dsim_metrics *m) { return 100 * per_visit((double)m->purchases, m); }
static double col_revenue(const dsim_metrics *m) { return m->revenue; }
static double col_profit(const dsim_metrics *m) { return m->profit; }
static double col_spend(const dsim_metrics *m) { return m->discount_spend; }
static double col_discount(const dsim_metrics *m) { return 100 * per_visit(m->discount_offered, m); }
static double col_regret(const dsim_metrics *m) { return m->regret; }

static const table_column columns[] = {
    {" %8.0f", " %8s", col_visits},  {" %6.2f", " %6s", col_conversion}, {" %9.0f", " %9s", col_revenue},
    {" %9.0f", " %9s", col_profit},  {" %10.0f", " %10s", col_spend},   {" %6.2f", " %6s", col_discount},
    {" %9.0f", " %9s", col_regret},
};
#define N_COLUMNS (sizeof columns / sizeof columns[0])

/* One row of means over the seeds; with several seeds, a second row of their 95 % half-widths. */
static int draw_policy(const dash_view *s, int p, int row, int width, bool lead)
{
    char line[256], hw_line[256];
    int used = snprintf(line, sizeof line, "%s %-12.12s", marks[s->mark[p]], s->configs[p]->name);
    char label[16];
    snprintf(label, sizeof label, "  %s 95 %%", plus_minus);
    int hw_used = snprintf(hw_line, sizeof hw_line, "  %-12s", s->n_seeds > 1 ? label : "");
    for (size_t c = 0; c < N_COLUMNS; c++) {
        double x[DASH_MAX_SEEDS];
        for (int k = 0; k < s->n_seeds; k++)
            x[k] = columns[c].of(&s->seed_metrics[p][k]);
        dsim_estimate e = dsim_metrics_estimate_mean(x, (size_t)s->n_seeds);
        char hw[32];
        snprintf(hw, sizeof hw, columns[c].format + 1, e.half_width);
        used += snprintf(line + used, sizeof line - (size_t)used, columns[c].format, e.mean);
        hw_used += snprintf(hw_line + hw_used, sizeof hw_line - (size_t)hw_used, columns[c].hw_format, hw);
    }
    if (lead)
        attron(A_BOLD | (has_colors() ? COLOR_PAIR(1) : A_STANDOUT));
    mvaddnstr(row, 0, line, width);
    if (lead)
        attroff(A_BOLD | (has_colors() ? COLOR_PAIR(1) : A_STANDOUT));
    if (s->n_seeds < 2)
        return 1;
    attron(A_DIM);
    mvaddnstr(row + 1, 0, hw_line, width);
    attroff(A_DIM);
    return 2;
}

/* Purchases already counted at the visit that caused them but yet to happen (the seeds' mean per policy): what
   the learners cannot see yet. */
static int draw_pending(const dash_view *s, int row, int width)
{
    char line[512];
    int used = snprintf(line, sizeof line, "  purchases still pending (counted, not yet seen by the shop):");
    for (int p = 0; p < s->n_policies && used < (int)sizeof line - 40; p++) {
        double sum = 0;
        for (int k = 0; k < s->n_seeds; k++)
            sum += (double)s->seed_metrics[p][k].pending_purchases;
        used += snprintf(line + used, sizeof line - (size_t)used, " %s %.0f", marks[s->mark[p]], sum / s->n_seeds);
    }
    attron(A_DIM);
    mvaddnstr(row, 0, line, width);
    attroff(A_DIM);
    return row + 1;
}

static int draw_table(const dash_view *s, int top, int width)
{
    mvaddnstr(top, 0, "  policy         visits  conv%   revenue    profit disc.spend  disc% myo.regret", width);
    int best = leader(s), row = top + 1;
    for (int p = 0; p < s->n_policies; p++)
        row += draw_policy(s, p, row, width, p == best && s->done > 0);
    if (dsim_scenario_has_memory(s->sc)) {
        attron(A_DIM);
        mvaddnstr(row++, 0, "  myo.regret: vs the myopic oracle; shoppers remember: planning can beat it",
                  width);
        attroff(A_DIM);
    }
    if (dsim_scenario_has_delays(s->sc))
        row = draw_pending(s, row, width);
    return row;
}

static void draw_chart(const dash_view *s, int metric, int top, int width, int height)
{
    if (height < 5 || width < 20)
        return;
    /* The stored points, then where every policy stands now (the chart runs up to the current visit). */
    double (*with_now)[DASH_POINTS + 1] = malloc(sizeof(double[DASH_MAX_POLICIES][DASH_POINTS + 1]));
    const double *series[DASH_MAX_POLICIES];
    if (!with_now)
        return;
    for (int p = 0; p < s->n_policies; p++) {
        const dsim_metrics *m = &s->metrics[p];
        memcpy(with_now[p], metric ? s->conversion[p] : s->series[p], sizeof(double) * s->n_points);
        with_now[p][s->n_points] = !metric ? m->reward : m->visits ? (double)m->purchases / (double)m->visits : 0.0;
        series[p] = with_now[p];
    }
    dash_chart c;
    double x_max = (double)s->done;
    if (dash_chart_layout(&c, width, height, series, s->n_policies, s->n_points + 1, x_max, "*o+x#@%&")) {
        free(with_now);
        return;
    }
    for (int r = 0; r < c.height; r++)
        for (int col = 0; col < c.width; col++) {
            int who = c.series[r * c.width + col];
            if (who < 0) {
                mvaddch(top + r, col, (chtype)(unsigned char)c.cell[r * c.width + col]);
                continue;
            }
            int mark = s->mark[who];
            if (has_colors())
                attron(COLOR_PAIR(2 + mark % 6));
            mvaddstr(top + r, col, marks[mark]);
            if (has_colors())
                attroff(COLOR_PAIR(2 + mark % 6));
        }
    /* live shocks: a '!' on the x axis at their visit */
    int plot_w = width - DASH_CHART_LABEL - 1;
    for (int k = 0; k < s->n_marks && x_max > 0; k++) {
        int col = DASH_CHART_LABEL + 1 + (int)llround((double)s->mark_visit[k] / x_max * (plot_w - 1));
        if (col < width)
            mvaddch(top + height - 2, col, '!');
    }
    dash_chart_free(&c);
    free(with_now);
}

/* How often each policy gave each level: one bar per level and policy, scaled to the panel's width. */
static void draw_levels(const dash_view *s, int top, int width, int height)
{
    int n_levels = s->sc->discounts.n_levels, row = top;
    int bar_w = width - 24;
    for (int p = 0; p < s->n_policies && row < top + height; p++) {
        uint64_t total = 0;
        for (int l = 0; l < n_levels; l++)
            total += s->metrics[p].level_count[l];
        mvprintw(row++, 0, "%s %.20s", marks[s->mark[p]], s->configs[p]->name);
        for (int l = 0; l < n_levels && row < top + height; l++, row++) {
            double share = total ? (double)s->metrics[p].level_count[l] / (double)total : 0.0;
            mvprintw(row, 2, "%5.1f %% %5.1f %% ", 100 * s->sc->discounts.levels[l], 100 * share);
            int n = bar_w > 0 ? (int)lround(share * bar_w) : 0;
            if (n > 0)
                mvhline(row, 20, ACS_CKBOARD, n);
        }
    }
}

/* The selected policy's value estimate per level (a first-time visitor), as bars from the smallest. */
static void draw_values(const dash_view *s, int p, int top, int width, int height)
{
    int n_levels = s->sc->discounts.n_levels;
    if (p < 0)
        return;
    mvprintw(top, 0, "%s %s: learned value of each level for three kinds of shopper", marks[s->mark[p]],
             s->configs[p]->name);
    if (s->knob_name[0])
        mvprintw(top + 2 + n_levels, 2, "%s = %.4g  ([ and ] change it)", s->knob_name, s->knob_value);
    if (!s->values_known) {
        mvaddnstr(top + 1, 2, "(this policy type keeps no value estimates)", width - 2);
        return;
    }
    mvprintw(top + 1, 2, "%7s  %12s %12s %12s   (bars: %s)", "level", dash_profile_names[0], dash_profile_names[1],
             dash_profile_names[2], dash_profile_names[0]);
    const double *v = s->values[0];
    double lo = v[0], hi = v[0];
    for (int l = 1; l < n_levels; l++) {
        lo = fmin(lo, v[l]);
        hi = fmax(hi, v[l]);
    }
    int bar_w = width - 52;
    for (int l = 0; l < n_levels && l + 2 < height; l++) {
        char cell[DASH_PROFILES][32];
        for (int k = 0; k < DASH_PROFILES; k++)
            dash_format_value(s->values[k][l], cell[k], sizeof cell[k]);
        mvprintw(top + 2 + l, 2, "%5.1f %%  %12s %12s %12s ", 100 * s->sc->discounts.levels[l], cell[0], cell[1],
                 cell[2]);
        int n = hi > lo && bar_w > 0 ? (int)lround((v[l] - lo) / (hi - lo) * bar_w) : 0;
        if (n > 0)
            mvhline(top + 2 + l, 50, ACS_CKBOARD, n);
    }
}

/* Per segment (the simulator's hidden truth: no policy is told a shopper's segment): each policy's visits,
   conversion, profit (mean over the seeds) and the share of its decisions given each level — whom the policy
   learned to discount, and where its profit comes from. */
static void draw_segments(const dash_view *s, int top, int width, int height)
{
    const dsim_scenario *sc = s->sc;
    mvaddnstr(top, 0, "by segment, mean per seed (hidden truth: no policy is told a shopper's segment)", width);
    char line[512];
    int used = snprintf(line, sizeof line, "  %-12s %7s %6s %8s | %% of decisions at:", "", "visits", "conv %", "profit");
    mvaddnstr(top + 1, 0, line, width);
    int row = top + 2;
    for (int g = 0; g < sc->n_segments && row < top + height; g++) {
        used = snprintf(line, sizeof line, "  %-12.12s %23s |", sc->segments[g].name, "");
        for (int l = 0; l < sc->discounts.n_levels && used < (int)sizeof line - 8; l++)
            used += snprintf(line + used, sizeof line - (size_t)used, " %3.0f%%", 100 * sc->discounts.levels[l]);
        attron(A_BOLD);
        mvaddnstr(row++, 0, line, width);
        attroff(A_BOLD);
        for (int p = 0; p < s->n_policies && row < top + height; p++, row++) {
            const dsim_metrics *m = &s->segments[p].segment[g];
            uint64_t decisions = 0;
            for (int l = 0; l < sc->discounts.n_levels; l++)
                decisions += m->level_count[l];
            used = snprintf(line, sizeof line, "%s %-12.12s %7.0f %6.2f %8.0f |", marks[s->mark[p]],
                            s->configs[p]->name, (double)m->visits / s->n_seeds,
                            100 * dsim_metrics_find("conversion")->value(m), m->profit / s->n_seeds);
            for (int l = 0; l < sc->discounts.n_levels && used < (int)sizeof line - 8; l++)
                used += snprintf(line + used, sizeof line - (size_t)used, " %4.0f",
                                 decisions ? 100.0 * (double)m->level_count[l] / (double)decisions : 0.0);
            mvaddnstr(row, 0, line, width);
        }
    }
}

/* The live changes made with the keys, in order, stored with each snapshot run (the screen's own record). */
typedef struct {
    char text[DASH_MAX_CHANGES][128];
    uint64_t visit[DASH_MAX_CHANGES];
    int n;
} change_log;

static void record_change(change_log *log, uint64_t visit, const char *what)
{
    if (log->n == DASH_MAX_CHANGES)
        return;
    log->visit[log->n] = visit;
    dsim__strlcpy(log->text[log->n++], what, sizeof log->text[0]); /* a long message is cut */
}

/* The shipped policies to add one from: a cursor on a list. */
typedef struct {
    bool open;
    char *names[128];
    size_t n;
    int cursor;
} chooser;

static void draw_chooser(const chooser *c, int rows, int cols)
{
    int shown = (int)c->n < rows - 6 ? (int)c->n : rows - 6, w = 50, left = (cols - w) / 2, top = 2;
    int first = c->cursor >= shown ? c->cursor - shown + 1 : 0;
    if (left < 0)
        left = 0;
    mvhline(top, left, '-', w);
    mvaddnstr(top + 1, left, "  add a policy (up/down, enter; esc: cancel)", w);
    for (int i = 0; i < shown; i++) {
        mvhline(top + 2 + i, left, ' ', w);
        if (first + i == c->cursor)
            attron(A_REVERSE);
        mvaddnstr(top + 2 + i, left + 2, c->names[first + i], w - 4);
        if (first + i == c->cursor)
            attroff(A_REVERSE);
    }
    mvhline(top + 2 + shown, left, '-', w);
}

/* A chart under its title line, which carries the legend: each policy's mark and name. */
static void draw_chart_titled(const dash_view *s, int metric, int top, int width, int height)
{
    mvaddnstr(top, 0, metric ? "conversion rate (purchases per visit so far)" : "cumulative objective", width);
    int x = metric ? 46 : 22;
    for (int p = 0; p < s->n_policies && x < width - 4; p++) {
        mvprintw(top, x, "%s %.14s", marks[s->mark[p]], s->configs[p]->name);
        x += 3 + (int)strnlen(s->configs[p]->name, 14) + 1;
    }
    draw_chart(s, metric, top + 1, width, height - 1);
}

/* A box in the middle of the screen, as wide as its widest line (the help, the live changes). */
static void draw_box(const char *const *lines, int n, int rows, int cols)
{
    int w = 0;
    for (int i = 0; i < n; i++)
        w = cli_text_width(lines[i]) > w ? cli_text_width(lines[i]) : w;
    w = w + 4 < cols ? w + 4 : cols;
    if (n + 2 > rows)
        n = rows - 2;
    int top = (rows - n - 2) / 2, left = (cols - w) / 2;
    if (top < 0)
        top = 0;
    if (left < 0)
        left = 0;
    for (int r = 0; r < n + 2; r++) {
        mvhline(top + r, left, ' ', w);
        if (r == 0 || r == n + 1)
            mvhline(top + r, left, '-', w);
    }
    for (int i = 0; i < n; i++)
        mvaddnstr(top + 1 + i, left + 2, lines[i], w - 4);
}

/* The whole screen. `overlay` (n lines, may be 0): a box over it (the help, the live changes); `keybar`: the
   last line. */
static void draw(const dash_view *s, const dash_controls *c, const char *db, double elapsed, int metric, int panel,
                 const char *const *overlay, int n_overlay, const chooser *choosing, const char *message,
                 const char *keybar)
{
    bool levels = panel == PANEL_LEVELS;
    int rows, cols;
    getmaxyx(stdscr, rows, cols);
    erase();
    draw_status(s, c, elapsed, db, cols);
    int chart_top = draw_table(s, 2, cols) + 1, chart_h = rows - chart_top - 3;
    if (c->selected >= 0) {
        draw_values(s, c->selected, chart_top - 1, cols, chart_h + 2);
    } else if (levels) {
        mvaddnstr(chart_top - 1, 0, "discount levels given (level, share of decisions)", cols);
        draw_levels(s, chart_top, cols, chart_h + 1);
    } else if (panel == PANEL_SEGMENTS) {
        draw_segments(s, chart_top - 1, cols, chart_h + 2);
    } else if (chart_h >= 24) { /* room for both charts, one above the other */
        int half = chart_h / 2;
        draw_chart_titled(s, 0, chart_top - 1, cols, half - 1);
        draw_chart_titled(s, 1, chart_top + half - 1, cols, chart_h - half + 1);
    } else {
        draw_chart_titled(s, metric, chart_top - 1, cols, chart_h + 1);
    }
    if (message[0])
        mvaddnstr(rows - 2, 0, message, cols);
    if (s->error[0])
        mvaddnstr(rows - 2, 0, s->error, cols);
    attron(A_DIM);
    mvaddnstr(rows - 1, 0, keybar, cols);
    attroff(A_DIM);
    if (n_overlay > 0)
        draw_box(overlay, n_overlay, rows, cols);
    if (choosing && choosing->open)
        draw_chooser(choosing, rows, cols);
    refresh();
}

/* The live changes made so far, recorded with each snapshot run. */
static int record_changes(dsim_store *store, void *user)
{
    const change_log *log = user;
    int rc = DSIM_OK;
    for (int c = 0; c < log->n && !rc; c++)
        rc = dsim_store_change_add(store, c, log->visit[c], log->text[c]);
    return rc;
}

/* Every policy's run so far, stored as a finished run of the visits done, with its series: the chart's points
   (the objective only, the seeds' mean), then the seed's totals at the end. */
static int save_snapshot(const dash_view *s, const change_log *changes, const char *db, int64_t *ids, int *n_ids)
{
    *n_ids = 0;
    dsim_store *store = NULL;
    dsim_study_result res = {0};
    int rc = dsim_store_open(&store, db);
    if (!rc)
        rc = dsim_study_result_reserve(&res, s->n_points + 1);
    for (int p = 0; p < s->n_policies && !rc; p++)
        for (int k = 0; k < s->n_seeds && !rc; k++) {
            int64_t id;
            memset(&res.head, 0, sizeof res.head);
            res.head.horizon = s->done;
            res.head.final = s->seed_metrics[p][k];
            res.head.segments = s->seed_segments[p][k];
            for (size_t i = 1; i < s->n_points && s->series_visit[i] < s->done; i++)
                res.points[res.head.n_points++] = (dsim_study_point){s->series_visit[i], {.reward = s->series[p][i]}};
            if (s->done > 0)
                res.points[res.head.n_points++] = (dsim_study_point){s->done, res.head.final};
            dsim_study_run run = DSIM_STUDY_RUN_INIT;
            run.scenario = s->sc;
            run.policy = s->configs[p];
            run.seed = s->seed + (uint64_t)k;
            run.origin = (dsim_run_origin){DSIM_SOURCE_DASH, s->horizon, changes->n > 0};
            run.before_end = record_changes;
            run.user = (void *)changes;
            rc = dsim_study_store(store, &run, &res, &id);
            if (!rc)
                ids[(*n_ids)++] = id;
        }
    dsim_study_result_clear(&res);
    dsim_store_close(store);
    return rc;
}

/* The terminal in the dashboard's modes, restored at exit and on signals. @return 0 or −1. */
static int screen_start(void)
{
    setlocale(LC_ALL, "");
    bool utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    marks = utf8 ? utf8_marks : ascii_marks;
    plus_minus = utf8 ? "±" : "+/-";
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    atexit(restore_terminal);
    if (!initscr())
        return -1;
    screen_active = true;
    cbreak();
    noecho();
    keypad(stdscr, TRUE);
    curs_set(0);
    timeout(100); /* ten redraws a second while idle; at once on a key */
    if (has_colors() && !getenv("NO_COLOR")) {
        start_color();
        use_default_colors();
        init_pair(1, COLOR_GREEN, -1);
        const short series_colors[6] = {COLOR_YELLOW, COLOR_CYAN, COLOR_MAGENTA, COLOR_GREEN, COLOR_RED, COLOR_BLUE};
        for (int i = 0; i < 6; i++)
            init_pair((short)(2 + i), series_colors[i], -1);
    }
    return 0;
}

int dash_show(const dash_view *v, const char *db)
{
    if (screen_start())
        return 1;
    bool help = false;
    int metric = 0, panel = PANEL_CHART;
    double started = now();
    dash_controls c = {.paused = false, .speed = 1, .selected = -1};
    /* A replay has no simulation to act on: only the keys that change the view. */
    static const char *const replay_help[] = {
        "keys (a replay of stored runs: read only)",
        "  m        chart: cumulative objective / conversion rate",
        "  l        the discount levels each policy gave / the chart",
        "  g        by segment: visits, conversion, profit, levels given / the chart",
        "  ?        this help (any key closes it)",
        "  q        quit",
    };
    for (;;) {
        draw(v, &c, db, now() - started, metric, panel, replay_help, help ? 6 : 0, NULL, v->note,
             " ? help  q quit  m chart  l levels  g segments");
        int key = getch();
        if (stop_requested || key == 'q' || key == 'Q')
            break;
        if (key == ERR)
            continue;
        if (help)
            help = false;
        else if (key == 'm' || key == 'M')
            metric = !metric, panel = PANEL_CHART;
        else if (key == 'l' || key == 'L')
            panel = panel == PANEL_LEVELS ? PANEL_CHART : PANEL_LEVELS;
        else if (key == 'g' || key == 'G')
            panel = panel == PANEL_SEGMENTS ? PANEL_CHART : PANEL_SEGMENTS;
        else if (key == '?')
            help = true;
    }
    restore_terminal();
    return 0;
}

/* ---- the live session: the screen's own state and its keys --------------------------------------------- */

typedef struct {
    dash_shared *s;         /* shared with the worker; a key is handled with its lock held */
    dash_view view;         /* the copy drawn from, taken under the lock */
    dash_controls controls; /* and the controls as they were then */
    change_log changes;
    int panel, metric;
    int segment;            /* e / E's target, −1 for every segment */
    int next_shock;         /* s: the scenario's next shock */
    double outside_utility; /* V0 as the keys have set it */
    bool help, show_changes, save_now;
    chooser choosing;
    dsim_policy_config *owned[32]; /* the policies added live, freed at the end */
    int n_owned;
    char message[256];
} screen;

/* Queue a command; a full queue (the worker stalled) is said on the screen. @return whether it was queued. */
static bool push(screen *sc, dash_command c)
{
    if (dash_push(sc->s, c))
        return true;
    snprintf(sc->message, sizeof sc->message, "the simulation is behind: key ignored");
    return false;
}

/* A change the keys made: on the screen and in the log the snapshots keep. */
static void changed(screen *sc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void changed(screen *sc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sc->message, sizeof sc->message, fmt, ap);
    va_end(ap);
    record_change(&sc->changes, sc->view.done, sc->message);
}

static void key_pause(screen *sc, int key)
{
    (void)key;
    sc->s->controls.paused = !sc->s->controls.paused;
}

static void key_step(screen *sc, int key)
{
    (void)key;
    push(sc, (dash_command){.kind = DASH_STEP});
}

static void key_speed(screen *sc, int key)
{
    int *speed = &sc->s->controls.speed;
    if (key == '-')
        *speed = *speed > 1 ? *speed / 10 : 1;
    else
        *speed = *speed < DASH_MAX_SPEED ? *speed * 10 : *speed;
}

static void key_restart(screen *sc, int key)
{
    (void)key;
    const dash_view *v = &sc->view;
    if (push(sc, (dash_command){.kind = DASH_RESTART}))
        changed(sc, "restarted on seed %llu at visit %llu", (unsigned long long)(v->seed + (uint64_t)v->n_seeds),
                (unsigned long long)v->done);
}

static void key_shock(screen *sc, int key)
{
    (void)key;
    const dsim_scenario *scn = sc->view.sc;
    if (scn->n_shocks == 0) {
        snprintf(sc->message, sizeof sc->message, "the scenario configures no shock");
    } else if (push(sc, (dash_command){.kind = DASH_SHOCK, .index = sc->next_shock})) {
        changed(sc, "shock %s applied at visit %llu", scn->shocks[sc->next_shock].name,
                (unsigned long long)sc->view.done);
        sc->next_shock = (sc->next_shock + 1) % scn->n_shocks;
    }
}

/* e/E: every segment's price sensitivity ×1.25 or ÷1.25; o/O: the outside option ±0.5. As a shock built on
   the spot, applied by the worker between visits. */
static void key_market(screen *sc, int key)
{
    dash_command c = {.kind = DASH_MARKET};
    dsim_shock_config *shock = &c.shock;
    *shock = (dsim_shock_config){.elasticity_factor = 1.0, .share = -1, .outside_utility = NAN, .at_visit = -1,
                                 .at_day = -1};
    snprintf(shock->segment, sizeof shock->segment, "%s",
             sc->segment < 0 ? "all" : sc->view.sc->segments[sc->segment].name);
    unsigned long long at = (unsigned long long)sc->view.done;
    if (key == 'e' || key == 'E') {
        shock->elasticity_factor = key == 'e' ? 1.25 : 0.8;
        snprintf(shock->name, sizeof shock->name, "sensitivity x%g", shock->elasticity_factor);
        if (!push(sc, c))
            return;
        if (sc->segment < 0)
            changed(sc, "price sensitivity x%g for every segment at visit %llu", shock->elasticity_factor, at);
        else
            changed(sc, "price sensitivity x%g for segment %s at visit %llu", shock->elasticity_factor, shock->segment,
                    at);
    } else {
        double v0 = sc->outside_utility + (key == 'o' ? 0.5 : -0.5);
        shock->outside_utility = v0;
        snprintf(shock->name, sizeof shock->name, "outside option %g", v0);
        if (!push(sc, c))
            return;
        sc->outside_utility = v0;
        changed(sc, "outside option set to %g at visit %llu", v0, at);
    }
}

/* < / >: which segment e / E act on: every one, or one at a time. */
static void key_segment(screen *sc, int key)
{
    int n = sc->view.sc->n_segments;
    sc->segment = key == '>' ? (sc->segment + 1 < n ? sc->segment + 1 : -1) : (sc->segment >= 0 ? sc->segment - 1 : n - 1);
    snprintf(sc->message, sizeof sc->message, "e / E now act on %s",
             sc->segment < 0 ? "every segment" : sc->view.sc->segments[sc->segment].name);
}

static void key_chart(screen *sc, int key)
{
    (void)key;
    sc->metric = !sc->metric;
    sc->panel = PANEL_CHART;
}

/* l, g: a panel in place of the chart, and back. */
static void key_panel(screen *sc, int key)
{
    int panel = key == 'l' || key == 'L' ? PANEL_LEVELS : PANEL_SEGMENTS;
    sc->panel = sc->panel == panel ? PANEL_CHART : panel;
    sc->s->controls.selected = -1;
}

/* tab: the next policy's learned values, then back to the chart. */
static void key_select(screen *sc, int key)
{
    (void)key;
    int *selected = &sc->s->controls.selected;
    *selected = *selected + 1 < sc->view.n_policies ? *selected + 1 : -1;
}

static void key_knob(screen *sc, int key)
{
    const dash_view *v = &sc->view;
    int p = sc->s->controls.selected;
    if (p < 0 || p >= v->n_policies || !v->knob_name[0]) {
        snprintf(sc->message, sizeof sc->message, "tab to a policy with a live parameter first");
        return;
    }
    double factor = key == ']' ? 1.25 : 0.8;
    if (push(sc, (dash_command){.kind = DASH_KNOB, .value = factor}))
        changed(sc, "%s: %s %.4g -> %.4g at visit %llu", v->configs[p]->name, v->knob_name, v->knob_value,
                v->knob_value * factor, (unsigned long long)v->done);
}

static void key_save(screen *sc, int key)
{
    (void)key;
    sc->save_now = true;
}

static void key_add(screen *sc, int key)
{
    (void)key;
    chooser *c = &sc->choosing;
    if (!c->n)
        c->n = dsim_files_list("policies", c->names, 128);
    c->open = c->n > 0;
}

static void key_remove(screen *sc, int key)
{
    (void)key;
    const dash_view *v = &sc->view;
    int p = sc->s->controls.selected;
    if (p < 0 || p >= v->n_policies || v->n_policies < 2)
        snprintf(sc->message, sizeof sc->message, "tab to a policy first (and keep one)");
    else if (push(sc, (dash_command){.kind = DASH_REMOVE, .index = p}))
        changed(sc, "removed %s at visit %llu", v->configs[p]->name, (unsigned long long)v->done);
}

static void key_help(screen *sc, int key)
{
    (void)key;
    sc->help = true;
}

static void key_changes(screen *sc, int key)
{
    (void)key;
    sc->show_changes = true;
}

static void key_quit(screen *sc, int key)
{
    (void)key;
    sc->s->controls.quit = true;
}

/* A key while the chooser is open; on enter, the chosen policy's file is loaded and checked, and handed to
   the worker. */
static void choose_key(screen *sc, int key)
{
    chooser *c = &sc->choosing;
    if (key == KEY_UP || key == 'k')
        c->cursor = c->cursor > 0 ? c->cursor - 1 : 0;
    else if (key == KEY_DOWN || key == 'j')
        c->cursor = c->cursor + 1 < (int)c->n ? c->cursor + 1 : c->cursor;
    else if (key == 27 || key == 'q')
        c->open = false;
    else if (key == '\n' || key == KEY_ENTER) {
        c->open = false;
        char path[1024];
        dsim_policy_config *cfg = NULL;
        if (sc->view.n_policies >= DASH_MAX_POLICIES || sc->n_owned >= 32) {
            snprintf(sc->message, sizeof sc->message, "at most %d policies", DASH_MAX_POLICIES);
        } else if (cli_find_file("policies", c->names[c->cursor], path, sizeof path) ||
                   dsim_policy_config_load(&cfg, path) || dsim_policy_config_check(cfg, sc->view.sc)) {
            snprintf(sc->message, sizeof sc->message, "%s: %s", c->names[c->cursor], dsim_errmsg());
            dsim_policy_config_free(cfg);
        } else if (push(sc, (dash_command){.kind = DASH_ADD, .policy = cfg})) {
            sc->owned[sc->n_owned++] = cfg;
            changed(sc, "added %s at visit %llu", cfg->name, (unsigned long long)sc->view.done);
        } else {
            dsim_policy_config_free(cfg);
        }
    }
}

/* Every key of the live dashboard: the keys that press it, its line in the help (NULL: on another's line),
   and what it does. The help overlay is written from this table, so the two cannot drift. */
typedef struct {
    const char *keys;
    const char *help;
    void (*press)(screen *sc, int key);
} key_binding;

static const key_binding bindings[] = {
    {"pP", "  p        pause / resume", key_pause},
    {" ", "  space    one visit (when paused)", key_step},
    {"rR", "  r        restart every policy on new seeds", key_restart},
    {"+=-", "  + / -    faster / slower (x10 visits a tick)", key_speed},
    {"sS", "  s        trigger the next configured shock now", key_shock},
    {"eEoO", "  e / E    price sensitivity x1.25 / /1.25 (every segment,", key_market},
    {"<>", "  < / >    or the one these choose)", key_segment},
    {"", "  o / O    outside option +0.5 / -0.5 (buying less / more)", NULL},
    {"mM", "  m        chart: cumulative objective / conversion rate", key_chart},
    {"lLgG", "  l        the discount levels each policy gives / the chart", key_panel},
    {"\t", "  tab      next policy's learned values (3 kinds of shopper)", key_select},
    {"[]", "  [ / ]    that policy's live parameter (e, c, alpha, v) x0.8 / x1.25", key_knob},
    {"", "  g        by segment: visits, conversion, profit, levels given / the chart", NULL},
    {"wW", "  w        save a snapshot of the runs now, and its charts as PNG", key_save},
    {"aA", "  a / x    add a shipped policy (caught up) / drop the selected one", key_add},
    {"xX", NULL, key_remove},
    {"cC", "  c        the live changes made so far (stored with each snapshot)", key_changes},
    {"?", "  ?        this help (any key closes it)", key_help},
    {"qQ", "  q        quit, saving the runs so far", key_quit},
};

static int help_lines(const char **lines, int max)
{
    int n = 0;
    lines[n++] = "keys";
    for (size_t i = 0; i < sizeof bindings / sizeof bindings[0] && n < max; i++)
        if (bindings[i].help)
            lines[n++] = bindings[i].help;
    return n;
}

static void press(screen *sc, int key)
{
    for (size_t i = 0; i < sizeof bindings / sizeof bindings[0]; i++)
        if (bindings[i].press && key > 0 && key < 256 && strchr(bindings[i].keys, key)) {
            bindings[i].press(sc, key);
            return;
        }
}

/* The snapshot's charts as PNG beside the database: DIR/dash-RUN-KIND.png, RUN the snapshot's first run. Its
   series hold the objective only, so the charts of the objective, the levels and the segments. */
static int save_charts(const char *db, const int64_t *ids, int n, char *names, size_t size)
{
    static const dsim_plot_kind kinds[] = {DSIM_PLOT_CUMULATIVE, DSIM_PLOT_DELTA, DSIM_PLOT_LEVELS,
                                           DSIM_PLOT_SEGMENTS};
    char dir[DSIM_PATH_MAX];
    const char *slash = strrchr(db, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - db + 1) : 0, db);
    dsim_store *store = NULL;
    dsim_figure *fig = calloc(1, sizeof *fig);
    int rc = fig ? dsim_store_open_readonly(&store, db) : dsim_error_set(DSIM_ENOMEM, "out of memory");
    names[0] = '\0';
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0] && !rc; k++) {
        if (kinds[k] == DSIM_PLOT_DELTA && n < 2)
            continue; /* one run: no difference to draw */
        char path[DSIM_PATH_MAX + 64];
        snprintf(path, sizeof path, "%sdash-%lld-%s.png", dir, (long long)ids[0], dsim_plot_kind_name(kinds[k]));
        rc = dsim_chart_from_runs(store, ids, (size_t)n, kinds[k], fig);
        if (!rc)
            rc = dsim_chart_write(&(dsim_chart_page){fig, NULL}, 1, path, 0, 0);
        dsim_figure_clear(fig);
        if (!rc && !names[0])
            snprintf(names, size, "dash-%lld-*.png", (long long)ids[0]);
    }
    dsim_store_close(store);
    free(fig);
    return rc;
}

/* The snapshot asked with w, written outside the lock (the worker keeps running meanwhile), with its charts. */
static void save_now(screen *sc, const char *db)
{
    sc->save_now = false;
    int64_t ids[DASH_MAX_POLICIES * DASH_MAX_SEEDS];
    int n = 0;
    char charts[DSIM_PATH_MAX + 64] = "";
    if (save_snapshot(&sc->view, &sc->changes, db, ids, &n))
        snprintf(sc->message, sizeof sc->message, "saving failed: %s", dsim_errmsg());
    else if (n && save_charts(db, ids, n, charts, sizeof charts))
        snprintf(sc->message, sizeof sc->message, "saved %d runs to %.80s; charts failed: %.120s", n, db,
                 dsim_errmsg());
    else
        snprintf(sc->message, sizeof sc->message, "saved %d runs of %llu visits to %.80s; charts beside it: %.60s",
                 n, (unsigned long long)sc->view.done, db, charts);
}

int dash_run(dash_shared *s, const char *db)
{
    screen *sc = calloc(1, sizeof *sc); /* large (the view's series): not on the stack */
    if (!sc) {
        fprintf(stderr, "dsim: dash: out of memory\n");
        return 1;
    }
    *sc = (screen){.s = s, .panel = PANEL_CHART, .segment = -1, .outside_utility = s->view.sc->behaviour.outside_utility};
    if (screen_start()) {
        free(sc);
        return 1;
    }
    pthread_t worker;
    if (pthread_create(&worker, NULL, dash_worker, s) != 0) {
        restore_terminal();
        fprintf(stderr, "dsim: dash: cannot start the simulation thread\n");
        free(sc);
        return 1;
    }
    double started = now();
    for (;;) {
        pthread_mutex_lock(&s->lock);
        sc->view = s->view; /* a consistent copy to draw from, the lock held only for the copy */
        sc->controls = s->controls;
        pthread_mutex_unlock(&s->lock);
        if (sc->save_now)
            save_now(sc, db);
        const char *overlay[DASH_MAX_CHANGES + 2];
        char change_lines[DASH_MAX_CHANGES][160];
        int n_overlay = 0;
        if (sc->help) {
            n_overlay = help_lines(overlay, DASH_MAX_CHANGES + 2);
        } else if (sc->show_changes) {
            overlay[n_overlay++] = sc->changes.n ? "live changes so far (c or any key closes this)"
                                                 : "no live changes yet (any key closes this)";
            for (int i = 0; i < sc->changes.n; i++) {
                snprintf(change_lines[i], sizeof change_lines[i], "  visit %-10llu %s",
                         (unsigned long long)sc->changes.visit[i], sc->changes.text[i]);
                overlay[n_overlay++] = change_lines[i];
            }
        }
        draw(&sc->view, &sc->controls, db, now() - started, sc->metric, sc->panel, overlay, n_overlay, &sc->choosing,
             sc->message,
             " ? help  q quit  p pause  space step  +/- speed  r restart  s shock  e/E o/O market  m chart  l levels"
             "  g segments  c changes  tab values  a/x add/drop  w save");
        int key = getch();
        if (stop_requested)
            key = 'q';
        if (key == ERR)
            continue;
        if (sc->help || sc->show_changes) {
            sc->help = sc->show_changes = false;
            continue;
        }
        pthread_mutex_lock(&s->lock);
        if (sc->choosing.open)
            choose_key(sc, key);
        else
            press(sc, key);
        bool quit = s->controls.quit;
        pthread_mutex_unlock(&s->lock);
        if (quit)
            break;
    }
    pthread_join(worker, NULL);
    restore_terminal();
    for (size_t i = 0; i < sc->choosing.n; i++)
        free(sc->choosing.names[i]);
    int status = 0;
    int64_t snapshot_ids[DASH_MAX_POLICIES * DASH_MAX_SEEDS];
    int n_snapshot = 0;
    const dash_view *v = &s->view; /* the worker has ended: read without the lock */
    if (v->error[0]) {
        fprintf(stderr, "dsim: dash: %s\n", v->error);
        status = 1;
    } else if (save_snapshot(v, &sc->changes, db, snapshot_ids, &n_snapshot)) {
        fprintf(stderr, "dsim: dash: %s\n", dsim_errmsg());
        status = 1;
    } else {
        printf("saved %d runs of %llu visits to %s\n", v->n_policies * v->n_seeds, (unsigned long long)v->done, db);
    }
    for (int i = 0; i < sc->n_owned; i++)
        dsim_policy_config_free(sc->owned[i]);
    free(sc);
    return status;
}
