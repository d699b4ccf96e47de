# Export R survival's `colon` data (Moertel et al. 1990, 1995: levamisole +/- fluorouracil after
# resection of stage III colon cancer) as one row per patient: colon_patients.csv.
#
#   Rscript examples/colon_twin/export_colon.R     (from the repository root)
#
# The data set has two records per patient (etype 1 = recurrence, etype 2 = death); both records
# carry the same covariates. Times are days from randomization. A death without recurrence leaves
# the recurrence record censored at the death (status 0, same time).
library(survival)
d <- survival::colon
rec <- d[d$etype == 1, ]
dth <- d[d$etype == 2, ]
stopifnot(identical(rec$id, dth$id))
keep <- c("id", "rx", "sex", "age", "obstruct", "perfor", "adhere", "nodes", "differ", "extent", "surg", "node4")
out <- data.frame(rec[, keep], rec_time = rec$time, rec_status = rec$status,
                  death_time = dth$time, death_status = dth$status)
out <- out[order(out$id), ]
write.csv(out, "examples/colon_twin/colon_patients.csv", row.names = FALSE, quote = FALSE, na = "")
cat(sprintf("survival %s: %d patients written\n", packageDescription("survival")$Version, nrow(out)))
