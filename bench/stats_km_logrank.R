# R side of bench/stats_km_logrank.py: survfit + survdiff on the same data, median of 3 repeats.
# Usage: Rscript bench/stats_km_logrank.R DIR
#   DIR holds cases.csv (case, n) and, per case, <case>_time.f64 / <case>_event.i32 / <case>_group.i32
#   (raw little-endian vectors written by the Python script). Writes DIR/r_results.csv.
suppressMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
cases <- read.csv(file.path(dir, "cases.csv"), stringsAsFactors = FALSE)

read_vec <- function(path, what, size, n) {
  con <- file(path, "rb")
  on.exit(close(con))
  readBin(con, what = what, n = n, size = size, endian = "little")
}

rows <- list()
for (i in seq_len(nrow(cases))) {
  case <- cases$case[i]
  n <- cases$n[i]
  d <- data.frame(
    time = read_vec(file.path(dir, paste0(case, "_time.f64")), "double", 8, n),
    event = read_vec(file.path(dir, paste0(case, "_event.i32")), "integer", 4, n),
    group = read_vec(file.path(dir, paste0(case, "_group.i32")), "integer", 4, n)
  )
  run <- function() {
    # R defaults (timefix = TRUE: aeqSurv merges times closer than ~sqrt(eps) relative; survdiff in
    # survival 3.5.3 cannot switch it off), so continuous data can differ slightly from exact ties.
    fit <- survfit(Surv(time, event) ~ group, data = d, conf.type = "log-log")
    test <- survdiff(Surv(time, event) ~ group, data = d)
    list(fit = fit, test = test)
  }
  secs <- numeric(3)
  for (r in 1:3) {
    gc()
    secs[r] <- system.time(out <- run())[["elapsed"]]
  }
  med <- quantile(out$fit, probs = 0.5, conf.int = FALSE)
  rows[[i]] <- data.frame(case = case, seconds = median(secs), chisq = out$test$chisq,
                          median0 = med[1], median1 = med[2], rows = length(out$fit$time))
  rm(d, out)
  gc()
}
write.csv(do.call(rbind, rows), file.path(dir, "r_results.csv"), row.names = FALSE)
