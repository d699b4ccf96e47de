# rpact side of bench/design_vs_rpact.py: times the same computations and writes results as CSV.
# Usage: Rscript bench/design_vs_rpact.R OUTDIR
suppressMessages(library(rpact))
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else tempdir()

# 1. K = 10 boundaries, O'Brien-Fleming-type alpha and beta spending (non-binding futility)
k10 <- function() getDesignGroupSequential(kMax = 10, alpha = 0.025, beta = 0.1, typeOfDesign = "asOF",
                                           typeBetaSpending = "bsOF")
t_k10 <- min(vapply(1:3, function(i) system.time(k10())[["elapsed"]], numeric(1)))
d10 <- k10()
write.csv(data.frame(upper = d10$criticalValues, lower = c(d10$futilityBounds, NA)),
          file.path(out, "rpact_k10.csv"), row.names = FALSE)

# 2. 1,000-point sample-size grid over the hazard ratio, 3-look OF design, piecewise accrual, dropout
d3 <- getDesignGroupSequential(kMax = 3, alpha = 0.025, beta = 0.2, typeOfDesign = "asOF")
hr <- seq(0.5, 0.9, length.out = 1000)
grid <- function() getSampleSizeSurvival(d3, lambda2 = 0.05, hazardRatio = hr, accrualTime = c(0, 6, 24),
                                         accrualIntensity = c(1, 2), accrualIntensityType = "relative",
                                         followUpTime = 12, dropoutRate1 = 0.05, dropoutRate2 = 0.05,
                                         dropoutTime = 12)
t_grid <- system.time(g <- grid())[["elapsed"]]
write.csv(data.frame(hazard_ratio = hr, max_events = g$maxNumberOfEvents, n_subjects = g$maxNumberOfSubjects,
                     look1 = g$analysisTime[1, ], look2 = g$analysisTime[2, ]),
          file.path(out, "rpact_grid.csv"), row.names = FALSE)

write.csv(data.frame(task = c("k10_boundaries", "grid_1000"), seconds = c(t_k10, t_grid)),
          file.path(out, "rpact_times.csv"), row.names = FALSE)
