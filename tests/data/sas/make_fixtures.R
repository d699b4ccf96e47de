# The sas7bdat fixtures of tests/data/test_adam.py: the six-subject ADSL and ADTTE of _adsl() and
# _adtte() there, written by haven (R: haven 2.5.1, write_sas). Run from this folder:
#   Rscript make_fixtures.R
suppressMessages(library(haven))
adsl <- data.frame(
  USUBJID = sprintf("S%02d", 0:5),
  TRT01P = rep(c("Chemo", "Blina"), 3),
  RISKGRP = rep(c("SR-Avg", "SR-High"), 3)
)
adtte <- data.frame(
  USUBJID = sprintf("S%02d", 0:5),
  PARAMCD = rep("DFS", 6),
  AVAL = c(100, 200, 300, 400, 500, 600),
  AVALU = rep("DAYS", 6),
  CNSR = c(0, 1, 0, 1, 1, 0),
  EVNTDESC = c("Marrow relapse", "", "Death in remission", "", "", "Marrow relapse")
)
suppressWarnings(write_sas(adsl, "adsl.sas7bdat"))   # write_sas is marked deprecated; it still writes
suppressWarnings(write_sas(adtte, "adtte.sas7bdat"))
# A multi-page file (32 pages of 4096 bytes) for the truncation tests of tests/data/test_sasfile.py:
# the example ADSL (examples/adam/adsl.csv, 1440 subjects).
big <- read.csv("../../../examples/adam/adsl.csv", stringsAsFactors = FALSE)
suppressWarnings(write_sas(big, "adsl_1440.sas7bdat"))
