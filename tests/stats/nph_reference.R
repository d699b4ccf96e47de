# Reference values for the non-proportional-hazards statistics and the R-parity fields
# (tests/stats/test_weighted_logrank.py, test_maxcombo.py, test_milestone.py,
# test_proportional_hazards.py, test_piecewise_hazard_ratio.py, test_nph_parity.py).
# R 4.2.2, survival 3.5-3. Run from the repository root:  Rscript tests/stats/nph_reference.R
#
# The survival package's data sets are written to tests/data/survival_*.csv first (numbers with 17
# significant digits, so Python reads the same doubles). tests/data/simtrial_*.csv are simtrial
# 1.0.2's data sets mb_delayed_effect and ex1_delayed_effect, written the same way from the
# package's data/*.rda:  load("mb_delayed_effect.rda"); write.csv(... sprintf("%.17g", tte) ...).
library(survival)
out <- function(label, x) cat(label, paste(sprintf("%.15g", x), collapse = " "), "\n")
tot <- function(x) if (is.matrix(x)) rowSums(x) else x  # survdiff's obs/exp are per stratum
w17 <- function(d, file) {
  for (nm in names(d)) if (is.double(d[[nm]])) d[[nm]] <- sprintf("%.17g", d[[nm]])
  write.csv(d, file.path("tests/data", file), row.names = FALSE, quote = FALSE)
}
v <- veteran
v$celltype <- as.character(v$celltype)
v$trt <- ifelse(v$trt == 1, "standard", "test")
w17(v, "survival_veteran.csv")
l <- lung[complete.cases(lung[, c("inst", "ph.ecog", "wt.loss")]),
          c("inst", "time", "status", "age", "sex", "ph.ecog", "wt.loss")]
l$status <- l$status - 1
w17(l, "survival_lung.csv")
w17(ovarian, "survival_ovarian.csv")
a <- aml
a$x <- as.character(a$x)
w17(a, "survival_aml.csv")
m <- mgus2
m$etime <- ifelse(m$pstat == 0, m$futime, m$ptime)
m$event <- ifelse(m$pstat == 0, 2 * m$death, 1)
w17(m[, c("id", "sex", "etime", "event")], "survival_mgus2.csv")

v <- read.csv("tests/data/survival_veteran.csv")
l <- read.csv("tests/data/survival_lung.csv")
o <- read.csv("tests/data/survival_ovarian.csv")
a <- read.csv("tests/data/survival_aml.csv")
m <- read.csv("tests/data/survival_mgus2.csv")
v$arm <- as.numeric(v$trt == "test")
l$w <- rep(c(1, 2, 3), length.out = nrow(l))

cat("## survdiff: FH(rho, 0), two arms\n")
for (rho in c(0, 0.5, 1)) {
  s <- survdiff(Surv(time, status) ~ trt, data = v, rho = rho)
  out(sprintf("veteran rho=%g chisq obs exp var", rho), c(s$chisq, tot(s$obs), tot(s$exp), s$var[2, 2]))
  s <- survdiff(Surv(time, status) ~ sex + strata(ph.ecog), data = l, rho = rho)
  out(sprintf("lung strata rho=%g chisq obs exp var", rho), c(s$chisq, tot(s$obs), tot(s$exp), s$var[2, 2]))
}
cat("## survdiff with single-subject strata\n")
d1 <- data.frame(t = c(1, 2, 3, 4, 5, 6, 7, 8), e = c(1, 1, 0, 1, 1, 0, 1, 1),
                 g = c(0, 1, 0, 1, 0, 1, 0, 1), s = c(0, 0, 0, 0, 0, 1, 2, 3))
s <- survdiff(Surv(t, e) ~ g + strata(s), data = d1)
out("single chisq obs exp var", c(s$chisq, tot(s$obs), tot(s$exp), s$var[2, 2]))

cat("## cox.zph\n")
zph <- function(label, z) {
  tb <- z$table
  for (i in seq_len(nrow(tb))) out(sprintf("%s %s chisq df p", label, rownames(tb)[i]), tb[i, ])
}
fv <- coxph(Surv(time, status) ~ trt + karno + age + celltype, data = v)
for (tr in c("km", "rank", "identity", "log")) zph(paste("veteran", tr), cox.zph(fv, transform = tr))
zph("veteran km terms=FALSE", cox.zph(fv, terms = FALSE))
zv <- cox.zph(fv)
rows <- c(1, 2, 50, 128)
for (i in rows) out(sprintf("veteran km y row %d (time x y)", i), c(zv$time[i], zv$x[i], zv$y[i, ]))
out("veteran km var", zv$var)
fl <- coxph(Surv(time, status) ~ age + ph.ecog + wt.loss + strata(sex), data = l)
zph("lung strata km", cox.zph(fl))
zph("lung strata rank", cox.zph(fl, transform = "rank"))
zl <- cox.zph(fl)
for (i in c(1, 60, 61, 150))
  out(sprintf("lung strata y row %d %s (time x y)", i, zl$strata[i]), c(zl$time[i], zl$x[i], zl$y[i, ]))
zph("lung breslow identity", cox.zph(coxph(Surv(time, status) ~ age + ph.ecog + strata(sex),
                                           data = l, ties = "breslow"), transform = "identity"))
zph("lung weights km", cox.zph(coxph(Surv(time, status) ~ age + ph.ecog + wt.loss, data = l,
                                     weights = w)))
zph("lung exact km", cox.zph(coxph(Surv(time, status) ~ age + sex, data = l, ties = "exact")))
zph("ovarian km", cox.zph(coxph(Surv(futime, fustat) ~ age + rx + ecog.ps, data = o)))

cat("## survSplit + coxph(arm:strata(tgroup))\n")
pw <- function(label, d, cuts, rhs, ties = "efron") {
  ds <- survSplit(Surv(time, status) ~ ., data = d, cut = cuts, episode = "tgroup")
  f <- coxph(as.formula(paste("Surv(tstart, time, status) ~", rhs)), data = ds, ties = ties)
  out(paste(label, "coef"), coef(f))
  out(paste(label, "se"), sqrt(diag(f$var)))
  ev <- table(factor(ds$tgroup), factor(ds$arm, levels = c(0, 1)), ds$status)[, , "1"]
  out(paste(label, "events ref exp per interval"), t(ev))
}
pw("veteran 30,90,180", v, c(30, 90, 180), "arm:strata(tgroup)")
l$arm <- as.numeric(l$sex == 2)
pw("lung 180,365 strata(ph.ecog) breslow", l, c(180, 365), "arm:strata(tgroup) + strata(ph.ecog)", "breslow")

cat("## survfit cumhaz, std.chaz and summary(times=)\n")
fk <- survfit(Surv(time, status) ~ trt, data = v)
out("veteran cumhaz first 8 standard", fk$cumhaz[1:8])
out("veteran std.chaz first 8 standard", fk$std.chaz[1:8])
sk <- summary(fk, times = c(100, 10, 50, 200, 500), extend = TRUE)
for (nm in c("time", "n.risk", "n.event", "n.censor", "surv", "std.err", "cumhaz", "std.chaz"))
  out(paste("veteran summary", nm), sk[[nm]])
fw <- survfit(Surv(time, status) ~ sex, data = l, weights = w)
sw <- summary(fw, times = c(100, 300, 600))
for (nm in c("n.risk", "n.event", "n.censor", "surv", "cumhaz", "std.chaz"))
  out(paste("lung weighted summary", nm), sw[[nm]])

cat("## concordance counts\n")
out("lung strata", coxph(Surv(time, status) ~ age + ph.ecog + strata(sex), data = l)$concordance)
out("veteran", fv$concordance)
out("lung weights", coxph(Surv(time, status) ~ age + ph.ecog, data = l, weights = w)$concordance)

cat("## multi-state survfit std.err (competing risks)\n")
times <- c(12, 60, 120, 240, 360)
fm <- survfit(Surv(etime, factor(event)) ~ sex, data = m)
sm <- summary(fm, times = times)
out("mgus2 pstate pcm death", cbind(sm$pstate[, 2], sm$pstate[, 3]))
out("mgus2 std.err pcm death", cbind(sm$std.err[, 2], sm$std.err[, 3]))
mw <- rep(c(1, 2, 0.5), length.out = nrow(m))
smw <- summary(survfit(Surv(etime, factor(event)) ~ sex, data = m, weights = mw), times = times)
out("mgus2 weighted std.err pcm death", cbind(smw$std.err[, 2], smw$std.err[, 3]))

cat("## Kaplan-Meier at milestones (for simtrial's milestone() formula)\n")
e1 <- read.csv("tests/data/simtrial_ex1_delayed_effect.csv")
s1 <- summary(survfit(Surv(month, evntd) ~ trt, data = e1), times = 6)
out("ex1 t*=6 surv std.err (trt 0, 1)", c(s1$surv, s1$std.err))
s2 <- summary(survfit(Surv(time, status) ~ trt, data = v), times = 90)
out("veteran t*=90 surv std.err (standard, test)", c(s2$surv, s2$std.err))
