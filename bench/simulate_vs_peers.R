# rpact's getSimulationSurvival on the AALL1731-sized design of bench/simulate_vs_peers.py.
# Usage: Rscript bench/simulate_vs_peers.R HAZARD_RATIO ITERATIONS SEED [RAW_DIR]
# With RAW_DIR, also writes rpact's raw datasets of a few iterations (raw.csv) and its per-stage
# statistics (stages.csv), so the Python side can recompute the log-rank z on the same data.
# Prints one line per quantity: "key value [value ...]"; "seconds" is the time of the simulation call
# alone (R start-up and package loading excluded).
suppressMessages(library(rpact))
args <- commandArgs(trailingOnly = TRUE)
hr <- as.numeric(args[1])
iterations <- as.integer(args[2])
seed <- as.integer(args[3])
raw_dir <- if (length(args) >= 4) args[4] else NA
design <- getDesignGroupSequential(
  kMax = 4, alpha = 0.025, sided = 1, typeOfDesign = "asOF", informationRates = c(0.25, 0.5, 0.75, 1)
)
run <- function(n, raw = 0) {
  getSimulationSurvival(
    design,
    pi2 = 1 - 0.879, eventTime = 36,           # control: 3-year DFS 0.879, exponential (months)
    hazardRatio = hr, directionUpper = FALSE,   # H1: HR < 1 (experimental better)
    accrualTime = c(0, 48), maxNumberOfSubjects = 1440, allocation1 = 1, allocation2 = 1,
    plannedEvents = c(25, 50, 75, 100),
    dropoutRate1 = 0.02, dropoutRate2 = 0.02, dropoutTime = 12,   # 2% per year
    maxNumberOfIterations = n, seed = seed, showStatistics = FALSE, maxNumberOfRawDatasetsPerStage = raw
  )
}
invisible(run(10))  # warm-up
timing <- system.time(sim <- run(iterations))
cat("rpact", as.character(packageVersion("rpact")), "\n")
cat("iterations", iterations, "\n")
cat("seconds", timing[["elapsed"]], "\n")
cat("cpu_seconds", timing[["user.self"]] + timing[["sys.self"]], "\n")
cat("reject_per_stage", sim$rejectPerStage[, 1], "\n")
cat("overall_reject", sim$overallReject, "\n")
cat("early_stop", sim$earlyStop, "\n")
cat("expected_events", sim$expectedNumberOfEvents, "\n")
cat("expected_subjects", sim$expectedNumberOfSubjects, "\n")
cat("analysis_time_months", sim$analysisTime[, 1], "\n")
if (!is.na(raw_dir)) {
  few <- run(20, raw = 20)
  write.csv(getRawData(few), file.path(raw_dir, "raw.csv"), row.names = FALSE)
  write.csv(getData(few), file.path(raw_dir, "stages.csv"), row.names = FALSE)
}
