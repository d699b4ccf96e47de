# Reference values for tests/stats/test_cox.py (R 4, survival 3.5-3). Run from the repository root:
#   Rscript tests/stats/cox_reference.R
library(survival)
d <- read.csv("tests/data/cox_generated.csv")
d$arm <- relevel(factor(d$arm), ref = "chemo")
show <- function(label, f) {
  cat(sprintf("%s coef=%s\n", label, paste(sprintf("%.10f", coef(f)), collapse = ",")))
  se <- if (is.null(f$naive.var)) sqrt(diag(f$var)) else sqrt(diag(f$naive.var))
  cat(sprintf("%s se=%s\n", label, paste(sprintf("%.10f", se), collapse = ",")))
  if (!is.null(f$naive.var))
    cat(sprintf("%s robust_se=%s rscore=%.8f\n", label,
                paste(sprintf("%.10f", sqrt(diag(f$var))), collapse = ","), f$rscore))
  cat(sprintf("%s loglik=%.8f,%.8f score=%.8f wald=%.8f iter=%d concordance=%.10f\n", label,
              f$loglik[1], f$loglik[2], f$score, f$wald.test, f$iter, f$concordance["concordance"]))
}
show("efron", coxph(Surv(time, event) ~ age + arm + risk, data = d))
show("breslow", coxph(Surv(time, event) ~ age + arm + risk, data = d, ties = "breslow"))
show("exact", coxph(Surv(time, event) ~ age + arm + risk, data = d, ties = "exact"))
show("strata", coxph(Surv(time, event) ~ age + arm + strata(site), data = d))
show("weights", coxph(Surv(time, event) ~ age + arm + risk, data = d, weights = w))
show("cluster", coxph(Surv(time, event) ~ age + arm + risk, data = d, cluster = family))
show("robust", coxph(Surv(time, event) ~ age + arm, data = d, robust = TRUE))
show("all", coxph(Surv(time, event) ~ age + arm + strata(site), data = d, weights = w,
                  cluster = family, ties = "breslow"))
b <- basehaz(coxph(Surv(time, event) ~ age + arm + strata(site), data = d), centered = FALSE)
b <- b[b$time %in% c(0.5, 1, 2, 4), ]
cat(sprintf("basehaz %s %.1f %.10f\n", b$strata, b$time, b$hazard), sep = "")
bc <- basehaz(coxph(Surv(time, event) ~ age + arm, data = d, weights = w), centered = TRUE)
bc <- bc[bc$time %in% c(0.5, 1, 2, 4), ]
cat(sprintf("basehaz_centered %.1f %.10f\n", bc$time, bc$hazard), sep = "")
