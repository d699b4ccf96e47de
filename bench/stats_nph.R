# R side of bench/stats_nph.py: the same statistics on the same data with R survival.
# Usage: Rscript bench/stats_nph.R DIR CASE N
#   DIR/CASE_{time,x}.f64, CASE_{event,arm,stratum}.i32 are raw little-endian vectors written by the
#   Python script. For each test prints "name,first,median,value": the first of 3 in-process calls,
#   their median (seconds), and the statistic (for the agreement check).
# Calls: survdiff(rho = 0 and 1) stratified; coxph + cox.zph (km transform); survSplit + coxph with
# arm:strata(tgroup). timefix as R's default (TRUE), as survtrial's.
suppressMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
case <- args[2]
n <- as.integer(args[3])
rd <- function(name, what, size) {
  con <- file(file.path(dir, paste0(case, name)), "rb")
  on.exit(close(con))
  readBin(con, what = what, n = n, size = size, endian = "little")
}
d <- data.frame(time = rd("_time.f64", "double", 8), event = rd("_event.i32", "integer", 4),
                arm = rd("_arm.i32", "integer", 4), stratum = rd("_stratum.i32", "integer", 4),
                x = rd("_x.f64", "double", 8))
med <- function(f) {
  secs <- numeric(3)
  for (r in 1:3) secs[r] <- system.time(val <- f())[["elapsed"]]
  list(first = secs[1], secs = median(secs), val = val)
}
show <- function(name, m) cat(sprintf("%s,%.5f,%.5f,%.12g\n", name, m$first, m$secs, m$val))
show("logrank", med(function() survdiff(Surv(time, event) ~ arm + strata(stratum), data = d)$chisq))
show("fh_rho1", med(function() survdiff(Surv(time, event) ~ arm + strata(stratum), data = d, rho = 1)$chisq))
show("cox_zph", med(function() {
  fit <- coxph(Surv(time, event) ~ arm + x + strata(stratum), data = d)
  cox.zph(fit)$table["GLOBAL", "chisq"]
}))
fit <- coxph(Surv(time, event) ~ arm + x + strata(stratum), data = d)
show("zph_only", med(function() cox.zph(fit)$table["GLOBAL", "chisq"]))
show("piecewise", med(function() {
  ds <- survSplit(Surv(time, event) ~ ., data = d, cut = c(0.5, 1, 2), episode = "tgroup")
  coef(coxph(Surv(tstart, time, event) ~ arm:strata(tgroup), data = ds))[4]
}))
