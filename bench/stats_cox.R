# R side of bench/stats_cox.py: coxph (Efron ties, 5 covariates) on the same data, median of 3 fits.
# Usage: Rscript bench/stats_cox.R DIR CASE N
#   DIR/CASE_time.f64, CASE_event.i32 and CASE_x.f64 (5 columns, column-major) are raw little-endian
#   vectors written by the Python script. Prints "seconds,coef1,...,coef5" on the last line.
# timefix = FALSE so that R and survtrial see the same ties (aeqSurv would merge near-equal
# continuous times); everything else is the coxph default, concordance included.
suppressMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
case <- args[2]
n <- as.integer(args[3])

read_vec <- function(name, what, size, len) {
  con <- file(file.path(dir, paste0(case, name)), "rb")
  on.exit(close(con))
  readBin(con, what = what, n = len, size = size, endian = "little")
}

x <- matrix(read_vec("_x.f64", "double", 8, 5 * n), nrow = n, ncol = 5)
d <- data.frame(time = read_vec("_time.f64", "double", 8, n),
                event = read_vec("_event.i32", "integer", 4, n),
                x0 = x[, 1], x1 = x[, 2], x2 = x[, 3], x3 = x[, 4], x4 = x[, 5])
rm(x)
secs <- numeric(3)
for (r in 1:3) {
  gc()
  secs[r] <- system.time(
    fit <- coxph(Surv(time, event) ~ x0 + x1 + x2 + x3 + x4, data = d,
                 control = coxph.control(timefix = FALSE))
  )[["elapsed"]]
}
cat(paste(c(sprintf("%.4f", median(secs)), sprintf("%.12g", coef(fit))), collapse = ","), "\n")
