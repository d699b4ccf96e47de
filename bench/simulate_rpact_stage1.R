# rpact's first-stage log-rank statistics and analysis times for bench/simulate_rpact_convention.py.
# Usage: Rscript bench/simulate_rpact_stage1.R ITERATIONS SEED OUT.csv
# Writes one row per iteration (testStatistic, analysisTime in months, events at stage 1) of
# getSimulationSurvival on the design of bench/simulate_vs_peers.R at hazard ratio 0.39, and
# prints the design's critical values.
suppressMessages(library(rpact))
args <- commandArgs(trailingOnly = TRUE)
design <- getDesignGroupSequential(
  kMax = 4, alpha = 0.025, sided = 1, typeOfDesign = "asOF", informationRates = c(0.25, 0.5, 0.75, 1)
)
sim <- getSimulationSurvival(
  design,
  pi2 = 1 - 0.879, eventTime = 36, hazardRatio = 0.39, directionUpper = FALSE,
  accrualTime = c(0, 48), maxNumberOfSubjects = 1440, allocation1 = 1, allocation2 = 1,
  plannedEvents = c(25, 50, 75, 100), dropoutRate1 = 0.02, dropoutRate2 = 0.02, dropoutTime = 12,
  maxNumberOfIterations = as.integer(args[1]), seed = as.integer(args[2]), showStatistics = FALSE
)
d <- getData(sim)
d <- d[d$stageNumber == 1, c("testStatistic", "analysisTime", "overallEvents1", "overallEvents2")]
write.csv(d, args[3], row.names = FALSE)
cat("critical", design$criticalValues, "\n")
