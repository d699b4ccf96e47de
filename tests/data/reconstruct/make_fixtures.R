# The Bonner et al. (2006, NEJM 354:567-78) locoregional-control curves used by
# tests/stats/test_reconstruct.py: digitized with ScanIt and shipped as `Radiationdata` in the R
# package IPDfromKM 0.1.10 (CRAN, GPL-2; file data/Radiationdata.rda of its source). Times are months,
# survival is in percent, exactly as digitized (a negative first time and small increases included).
# Numbers at risk at months 0-50 as printed under the figure. Run from this folder with the .rda
# beside it (IPDfromKM itself need not be installed):
#   Rscript make_fixtures.R
load("Radiationdata.rda")
r <- Radiationdata
curve <- rbind(
  data.frame(arm = "radiotherapy", time = r$radio$V1, survival = r$radio$V2),
  data.frame(arm = "radiotherapy+cetuximab", time = r$radioplus$V1, survival = r$radioplus$V2)
)
risk <- rbind(
  data.frame(arm = "radiotherapy", time = r$trisk[1:6], n_risk = r$nrisk.radio),
  data.frame(arm = "radiotherapy+cetuximab", time = r$trisk[1:6], n_risk = r$nrisk.radioplus)
)
write.csv(curve, "bonner2006_locoregional_curve.csv", row.names = FALSE)
write.csv(risk, "bonner2006_locoregional_at_risk.csv", row.names = FALSE)
