"""The bad-input harness: every command refuses broken or hostile input the same way.

Each case of CASES runs one command line (typer's CliRunner, in this process) in an empty working
folder and asserts: exit status 2; no traceback; the message contains every fragment given (they
name the column, row, key, flag or file at fault); and afterwards the working folder holds exactly
what it held before (nothing written, no temporary folders; an existing output untouched), the
temporary-files folder is empty, and nothing appeared in the unwritable folder.

Adding a case is one line: ``case("command and arguments", "fragment", ...)``. In the command line:

- ``{in:NAME}``: an input file of ``bad_inputs.INPUTS`` (add malformed inputs there, one line each);
- ``{out}``: a new output path in the working folder (``{out}.csv`` for a file);
- ``{file}``: an existing file; ``{full}``: an existing folder holding a file survtrial did not write;
- ``{nodir}``: a path whose parent folder does not exist; ``{under_file}``: a path below a file;
- ``{ro}``: a folder that cannot be written (a read-only folder, or ``/sys`` when running as root).
"""

from __future__ import annotations

import os
import re
import shlex
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from bad_inputs import make_inputs
from typer.testing import CliRunner

from survtrial.cli import app

MEMORY_LIMIT = "8GiB"  # SURVTRIAL_MEMORY_LIMIT for the memory estimates: the same refusals on any machine

DESIGN_OK = "--hr 0.6 --control-median 12 --accrual-time 24 --follow-up 12 --time-unit months"
SIM = "simulate {in:scenario.yaml} --design {in:sim_design.yaml} --no-progress"
PLAIN = "analyze --data {in:trial.csv} --time months --event relapse --group arm --reference chemo"
ADAM = "analyze --adsl {in:adsl.xpt} --adtte {in:adtte.xpt} --paramcd DFS"
MONITOR = "monitor {in:design.yaml}"
ADAM_ARGS = "analyze --paramcd DFS --reference chemo "
DATA = "analyze --time months --event relapse --group arm --reference chemo --data "
CAL = "calendar --start 2025-03-03 --arm B --sex F"
REC = "reconstruct --curve {in:curve.csv} --at-risk {in:at_risk.csv} --clean"


@dataclass(frozen=True)
class Case:
    command: str
    fragments: tuple[str, ...]

    @property
    def id(self) -> str:
        return re.sub(r"\s+", " ", self.command)[:110]


def case(command: str, *fragments: str) -> Case:
    return Case(command, fragments)


TRUNCATED = "is truncated"
CASES = [
    # ------------------------------------------------------------------ reproduce
    case("reproduce --replicates 0", "--replicates must be a whole number >= 1, got 0"),
    case("reproduce --replicates -5", "--replicates must be a whole number >= 1, got -5"),
    case("reproduce --replicates 1000000000000", "--replicates 1,000,000,000,000: the twins' headline rows would "
         "need about", "more than the 8 GiB available"),
    case("reproduce --replicates 2.5", "Invalid value for '--replicates'"),
    case("reproduce --workers 0", "--workers must be a whole number >= 1, got 0"),
    case("reproduce --workers -2", "--workers must be a whole number >= 1, got -2"),
    case("reproduce --replicates 3 --workers 100000", "--workers 100,000: 100,000 worker processes would need about",
         "8 GiB available"),
    case("reproduce --seed -1", "--seed must be a whole number >= 0, got -1"),
    case("reproduce --seed abc", "Invalid value for '--seed'"),
    case("reproduce nosuch --out {out}", "unknown twin 'nosuch'", "packaged twins"),
    case("reproduce aall1731 --scenario nosuch --out {out}", "unknown scenario 'nosuch'"),
    case("reproduce {in:bomb.yaml} --out {out}", "bomb.yaml", "YAML limit exceeded", "aliases (*name) are expanded"),
    case("reproduce {in:huge.yaml} --out {out}", "huge.yaml", "67,108,864 bytes, more than the 4,194,304"),
    case("reproduce {in:recursive.yaml} --out {out}", "recursive.yaml", "line 1",
         "refers to the node that contains it"),
    case("reproduce {in:deep.yaml} --out {out}", "deep.yaml", "nested more than 64 levels"),
    case("reproduce {in:syntax.yaml} --out {out}", "syntax.yaml", "YAML syntax error at line"),
    case("reproduce {in:duplicate.yaml} --out {out}", "duplicate.yaml", "line 3", "duplicate key 'alpha'"),
    case("reproduce {in:list.yaml} --out {out}", "list.yaml", "expected a mapping"),
    case("reproduce {in:latin1.yaml} --out {out}", "latin1.yaml", "is not UTF-8 text"),
    case("reproduce {in:python_tag.yaml} --out {out}", "python_tag.yaml", "could not determine a constructor"),
    case("reproduce --scenario {in:scenario_unknown_key.yaml} --out {out}", "scenario_unknown_key.yaml", "colour"),
    case("reproduce {in:scenario.yaml} --out {out}", "is a scenario, not a twin", "--scenario"),
    case("reproduce --scenario {in:scenario_negative_n.yaml} --out {out}", "accrual.n"),
    case("reproduce --scenario {in:bomb.yaml} --out {out}", "scenario file", "bomb.yaml", "YAML limit exceeded"),
    case("reproduce missing.yaml --out {out}", "twin file not found", "missing.yaml"),
    case("reproduce --scenario missing.yaml --out {out}", "scenario file not found", "missing.yaml"),
    case("reproduce --out {file}", "--out", "taken.txt' exists and is not a folder"),
    case("reproduce --out {full}", "--out", "full' exists and is not empty; pass --overwrite"),
    case("reproduce --out {full} --overwrite", "--out", "holds files survtrial did not write ('keep.txt')"),
    case("reproduce --out {nodir}", "--out", "missing' does not exist; create it first"),
    case("reproduce --out {under_file}", "--out", "taken.txt' is a file, not a folder"),
    case("reproduce --out {ro}", "--out", "cannot write in"),
    case("reproduce --out .", "--out '.' is the current folder"),
    # ------------------------------------------------------------------ analyze: truncated SAS files
    case(ADAM_ARGS + "--adsl {in:adsl_cut_header.xpt} --adtte {in:adtte.xpt} --out {out}", "ADSL:",
         "adsl_cut_header.xpt", TRUNCATED),
    case(ADAM_ARGS + "--adsl {in:adsl_cut_member.xpt} --adtte {in:adtte.xpt} --out {out}", "ADSL:", TRUNCATED,
         "descriptor of member 1"),
    case(ADAM_ARGS + "--adsl {in:adsl_cut_namestr.xpt} --adtte {in:adtte.xpt} --out {out}", "ADSL:", TRUNCATED,
         "variable descriptions of member 'ADSL' are cut"),
    case(ADAM_ARGS + "--adsl {in:adsl_cut_obs_header.xpt} --adtte {in:adtte.xpt} --out {out}", "ADSL:", TRUNCATED,
         "observations (member 'ADSL') header"),
    case(ADAM_ARGS + "--adsl {in:adsl_cut_first_row.xpt} --adtte {in:adtte.xpt} --out {out}", "ADSL:", TRUNCATED,
         "observation 1 is cut after 40 of its 85 bytes"),
    case(ADAM_ARGS + "--adsl {in:adsl_cut_half.xpt} --adtte {in:adtte.xpt} --out {out}", "ADSL:", TRUNCATED,
         "observation 710 is cut after 15 of its 85 bytes", "709 complete observations"),
    case(ADAM_ARGS + "--adsl {in:adsl_cut_aligned.xpt} --adtte {in:adtte.xpt} --out {out}", "ADSL:", TRUNCATED,
         "complete observations before it"),
    case(ADAM_ARGS + "--adsl {in:adsl_cut_last_byte.xpt} --adtte {in:adtte.xpt} --out {out}", "ADSL:", TRUNCATED,
         "observation 1,440 is cut after 84 of its 85 bytes"),
    case(ADAM_ARGS + "--adsl {in:adsl.xpt} --adtte {in:adtte_cut_third.xpt} --out {out}", "ADTTE:", TRUNCATED,
         "complete observations"),
    case(ADAM_ARGS + "--adsl {in:adsl.xpt} --adtte {in:adtte_cut_last_byte.xpt} --out {out}", "ADTTE:", TRUNCATED),
    case(ADAM_ARGS + "--adsl {in:adsl.xpt} --adtte {in:adtte_cut_header.xpt} --out {out}", "ADTTE:", TRUNCATED),
    case(ADAM + " --adae {in:adae_cut_half.xpt} --out {out}", "ADAE:", TRUNCATED, "complete observations"),
    case(ADAM + " --adae {in:adae_cut_last_byte.xpt} --out {out}", "ADAE:", TRUNCATED),
    case(ADAM_ARGS + "--adsl {in:adsl_cut_page.sas7bdat} --adtte {in:adtte.xpt} --out {out}", "ADSL:", TRUNCATED,
         "69,632 bytes, its header says 139,264"),
    case(ADAM_ARGS + "--adsl {in:adsl_cut_header.sas7bdat} --adtte {in:adtte.xpt} --out {out}", "ADSL:", TRUNCATED,
         "600 bytes"),
    case(ADAM_ARGS + "--adsl {in:adsl_cut_last_byte.sas7bdat} --adtte {in:adtte.xpt} --out {out}", "ADSL:", TRUNCATED,
         "139,263 bytes"),
    case(ADAM_ARGS + "--adsl {in:adsl.xpt} --adtte {in:adtte_cut.sas7bdat} --out {out}", "ADTTE:", TRUNCATED,
         "9,000 bytes, its header says 16,384"),
    case(ADAM_ARGS + "--adsl {in:adsl_not_sas.xpt} --adtte {in:adtte.xpt} --out {out}", "ADSL:", "adsl_not_sas.xpt",
         "does not start with a SAS transport library header"),
    case(ADAM_ARGS + "--adsl {in:adsl_not_sas.sas7bdat} --adtte {in:adtte.xpt} --out {out}", "ADSL:",
         "not a sas7bdat file"),
    # ------------------------------------------------------------------ analyze: ADaM values
    case(ADAM_ARGS + "--adsl {in:adsl.csv} --adtte {in:adtte_aval_negative.csv} --out {out}", "ADTTE row 17",
         "AVAL = -3.0"),
    case(ADAM_ARGS + "--adsl {in:adsl.csv} --adtte {in:adtte_aval_text.csv} --out {out}", "ADTTE row 5", "'soon'"),
    case(ADAM_ARGS + "--adsl {in:adsl.csv} --adtte {in:adtte_aval_blank.csv} --out {out}", "ADTTE row 9", "AVAL"),
    case("analyze --adsl {in:adsl.csv} --adtte {in:adtte_os_aval_negative.csv} --paramcd OS --reference chemo "
         "--out {out}",
         "ADTTE row 1457", "AVAL = -3.0"),
    case(ADAM_ARGS + "--adsl {in:adsl.csv} --adtte {in:adtte_cnsr_half.csv} --out {out}", "ADTTE row 3", "CNSR = 0.5"),
    case(ADAM_ARGS + "--adsl {in:adsl.csv} --adtte {in:adtte_cnsr_negative.csv} --out {out}", "ADTTE row 8",
         "CNSR = -1"),
    case(ADAM_ARGS + "--adsl {in:adsl.csv} --adtte {in:adtte_cnsr_text.csv} --out {out}", "ADTTE row 4", "CNSR = 'Y'"),
    case(ADAM_ARGS + "--adsl {in:adsl.csv} --adtte {in:adtte_no_cnsr.csv} --out {out}", "ADTTE", "CNSR missing"),
    case(ADAM_ARGS + "--adsl {in:adsl.csv} --adtte {in:adtte_no_avalu.csv} --out {out}", "no AVALU", "--time-unit"),
    case(ADAM_ARGS + "--adsl {in:adsl.csv} --adtte {in:adtte_two_units.csv} --out {out}",
         "AVALU holds several units ['DAYS', 'MONTHS']"),
    case(ADAM_ARGS + "--adsl {in:adsl.csv} --adtte {in:adtte_bad_unit.csv} --out {out}", "AVALU", "'FORTNIGHTS'"),
    case(ADAM_ARGS + "--adsl {in:adsl.csv} --adtte {in:adtte_duplicate.csv} --out {out}",
         "duplicated USUBJID x PARAMCD", "AALL1731SIM-5"),
    case(ADAM_ARGS + "--adsl {in:adsl.csv} --adtte {in:adtte_unknown_subject.csv} --out {out}",
         "not in ADSL: 'NOBODY-1'"),
    case(ADAM_ARGS + "--adsl {in:adsl_no_arm.csv} --adtte {in:adtte.csv} --out {out}", "no arm variable", "--arm-var"),
    case(ADAM_ARGS + "--adsl {in:adsl_blank_arm.csv} --adtte {in:adtte.csv} --out {out}", "ADSL row 11",
         "TRT01P is blank"),
    case(ADAM_ARGS + "--adsl {in:adsl_duplicate.csv} --adtte {in:adtte.csv} --out {out}",
         "duplicated USUBJID: 'AALL1731SIM-1'", "rows [1, 2]"),
    case(ADAM_ARGS + "--adsl {in:adsl_one_arm.csv} --adtte {in:adtte.csv} --out {out}", "TRT01P", "two arms"),
    case(ADAM_ARGS + "--adsl {in:adsl_no_usubjid.csv} --adtte {in:adtte.csv} --out {out}", "ADSL", "USUBJID missing"),
    case(ADAM + " --adae {in:adae_no_grade.csv} --out {out}", "ADAE", "no grade variable"),
    case(ADAM + " --adae {in:adae_unknown_subject.csv} --out {out}", "ADAE", "not in ADSL: 'NOBODY-2'"),
    case(ADAM + " --adae {in:adae_no_term.csv} --out {out}", "ADAE", "AEDECOD"),
    case(ADAM + " --paramcd XYZ --out {out}", "PARAMCD 'XYZ' not found", "'DFS'"),
    case(ADAM + " --strata NOPE --out {out}", "NOPE", "--strata"),
    case(ADAM + " --subgroups SEX,NOPE --out {out}", "NOPE"),
    case(ADAM + " --arm-var NOPE --out {out}", "NOPE"),
    case(ADAM + " --reference placebo --out {out}", "'placebo'"),
    case("analyze --adsl {in:adsl.xpt} --adtte {in:adtte.xpt} --reference chemo --out {out}", "--paramcd"),
    case("analyze --adsl {in:adsl.xpt} --adtte {in:adtte.xpt} --paramcd DFS --out {out}", "control arm"),
    case(ADAM + " --landmark 3x --out {out}", "--landmark '3x'", "unit 'x' not recognised"),
    case(ADAM + " --landmark -1y --out {out}", "landmark", "'-1y'"),
    case(ADAM + " --tau 0 --out {out}", "tau", "must be a positive duration"),
    case(ADAM + " --time-unit fortnights --out {out}", "'fortnights' not recognised"),
    case(ADAM_ARGS + "--adsl missing.xpt --adtte {in:adtte.xpt} --out {out}", "ADSL: file not found", "missing.xpt"),
    case(ADAM_ARGS + "--adsl {in_dir} --adtte {in:adtte.xpt} --out {out}", "ADSL:", "is a directory"),
    case(ADAM_ARGS + "--adsl {in:trial.txt} --adtte {in:adtte.xpt} --out {out}", "ADSL: unsupported file type .txt"),
    case(ADAM_ARGS + "--adsl {in:trial.parquet} --adtte {in:adtte.xpt} --out {out}", "ADSL: could not read"),
    case(ADAM + " --data {in:trial.csv} --out {out}", "--data", "not both"),
    case("analyze --data {in:trial.csv} --reference chemo --out {out}", "--data needs --time, --event and --group"),
    case("analyze --adsl {in:adsl.xpt} --paramcd DFS --reference chemo --out {out}", "give --adsl and --adtte"),
    # ------------------------------------------------------------------ analyze: plain tables
    case(DATA + "{in:trial_time_text.csv} --out {out}",
         "column 'months' row 7", "'abc'"),
    case(DATA + "{in:trial_time_negative.csv} --out {out}",
         "column 'months' row 12", "-3.0"),
    case(DATA + "{in:trial_time_blank.csv} --out {out}",
         "column 'months' row 5", "missing"),
    case(DATA + "{in:trial_time_inf.csv} --out {out}",
         "column 'months' row 20", "inf"),
    case(DATA + "{in:trial_event_two.csv} --out {out}",
         "column 'relapse' row 9", "event code 2"),
    case(DATA + "{in:trial_event_text.csv} --out {out}",
         "column 'relapse' row 4", "'yes'"),
    case(DATA + "{in:trial_event_blank.csv} --out {out}",
         "column 'relapse' row 15", "missing event indicator"),
    case(DATA + "{in:trial_event_half.csv} --out {out}",
         "column 'relapse' row 6", "event code 0.5"),
    case(DATA + "{in:trial_arm_blank.csv} --out {out}",
         "column 'arm' row 3", "blank"),
    case(DATA + "{in:trial_one_arm.csv} --out {out}",
         "two arms", "['chemo']"),
    case(DATA + "{in:trial_three_arms.csv} --out {out}",
         "two arms", "radiation"),
    case(DATA + "{in:trial_header_only.csv} --out {out}",
         "trial_header_only.csv has no rows"),
    case("analyze --data {in:empty.csv} --time months --event relapse --group arm --out {out}", "data:",
         "empty.csv"),
    case("analyze --data {in:binary.csv} --time months --event relapse --group arm --out {out}", "data:",
         "binary.csv"),
    case("analyze --data {in:trial.csv} --time nope --event relapse --group arm --reference chemo --out {out}",
         "'nope' (--time) not found"),
    case("analyze --data {in:trial.csv} --time months --event nope --group arm --reference chemo --out {out}",
         "'nope' (--event) not found"),
    case("analyze --data {in:trial.csv} --time months --event relapse --group nope --reference chemo --out {out}",
         "'nope' (--group) not found"),
    case(PLAIN + " --strata nope --out {out}", "'nope' (--strata) not found"),
    case(PLAIN + " --time-unit lightyears --out {out}", "'lightyears' not recognised"),
    case(PLAIN + " --landmark soon --out {out}", "landmark", "'soon' is not a duration"),
    # ------------------------------------------------------------------ analyze: output paths
    case(ADAM + " --out {file}", "--out", "taken.txt' exists and is not a folder"),
    case(ADAM + " --out {full}", "--out", "full' exists and is not empty; pass --overwrite"),
    case(ADAM + " --out {full} --overwrite", "--out", "holds files survtrial did not write ('keep.txt')"),
    case(ADAM + " --out {nodir}", "--out", "does not exist; create it first"),
    case(ADAM + " --out {under_file}", "--out", "is a file, not a folder"),
    case(ADAM + " --out {ro}", "--out", "cannot write in"),
    case(ADAM + " --out .", "--out '.' is the current folder"),
    case(ADAM + " --out ..", "--out '..' is the current folder or one of its parents"),
    # ------------------------------------------------------------------ design
    case("design " + DESIGN_OK + " --alpha 0", "alpha"),
    case("design " + DESIGN_OK + " --alpha 1.5", "alpha"),
    case("design " + DESIGN_OK + " --alpha -0.1", "alpha"),
    case("design " + DESIGN_OK + " --alpha abc", "Invalid value for '--alpha'"),
    case("design " + DESIGN_OK + " --power 1.2", "power"),
    case("design " + DESIGN_OK + " --power 0", "power"),
    case("design " + DESIGN_OK + " --sided 3", "sided"),
    case("design " + DESIGN_OK + " --looks 0", "looks"),
    case("design " + DESIGN_OK + " --looks -2", "looks"),
    case("design " + DESIGN_OK + " --looks 100000", "looks"),
    case("design " + DESIGN_OK + " --fractions 0.5,0.4,1", "--fractions"),
    case("design " + DESIGN_OK + " --fractions abc", "--fractions", "'abc'"),
    case("design " + DESIGN_OK + " --fractions 0.5,1.2", "--fractions"),
    case("design " + DESIGN_OK + " --hr 0", "--hr"),
    case("design " + DESIGN_OK + " --hr -1", "--hr"),
    case("design --hr 0.6 --control-survival 150% --landmark 3 --accrual-time 5 --follow-up 2", "--control-survival"),
    case("design --hr 0.6 --control-survival abc --landmark 3 --accrual-time 5 --follow-up 2", "--control-survival",
         "'abc'"),
    case("design --hr 0.6 --control-survival 87.9% --landmark -1 --accrual-time 5 --follow-up 2", "landmark"),
    case("design " + DESIGN_OK + " --accrual-time -5", "--accrual-time"),
    case("design " + DESIGN_OK + " --accrual-time abc", "--accrual-time", "'abc'"),
    case("design " + DESIGN_OK + " --follow-up -1", "--follow-up"),
    case("design " + DESIGN_OK + " --alpha-spending XYZ", "--alpha-spending", "XYZ"),
    case("design " + DESIGN_OK + " --method foo", "method", "foo"),
    case("design " + DESIGN_OK + " --allocation-ratio 0", "--allocation-ratio"),
    case("design " + DESIGN_OK + " --dropout-rate 1.5 --dropout-time 12", "--dropout-rate"),
    case("design " + DESIGN_OK + " --margin 0.5", "margin"),
    case("design {in:bomb.yaml}", "design file", "bomb.yaml", "YAML limit exceeded"),
    case("design {in:huge.yaml}", "design file", "huge.yaml", "more than the 4,194,304"),
    case("design {in:recursive.yaml}", "recursive.yaml", "refers to the node that contains it"),
    case("design {in:deep.yaml}", "deep.yaml", "nested more than 64 levels"),
    case("design {in:duplicate.yaml}", "duplicate.yaml", "duplicate key 'alpha' (first given at line 1)"),
    case("design {in:syntax.yaml}", "syntax.yaml", "YAML syntax error"),
    case("design {in:list.yaml}", "list.yaml", "expected a mapping"),
    case("design {in:latin1.yaml}", "latin1.yaml", "not UTF-8"),
    case("design {in:python_tag.yaml}", "python_tag.yaml", "could not determine a constructor"),
    case("design {in:design_alpha.yaml}", "design_alpha.yaml", "alpha"),
    case("design {in:design_unknown_key.yaml}", "design_unknown_key.yaml", "hazzard_ratio"),
    case("design {in:design_hr_text.yaml}", "design_hr_text.yaml", "key 'hazard_ratio'"),
    case("design missing.yaml", "design file 'missing.yaml' not found"),
    case("design {in_dir}", "design file", "is not a file"),
    case("design " + DESIGN_OK + " --out {file}", "--out", "exists and is not a folder"),
    case("design " + DESIGN_OK + " --out {full}", "--out", "exists and is not empty; pass --overwrite"),
    case("design " + DESIGN_OK + " --out {full} --overwrite", "--out", "holds files survtrial did not write"),
    case("design " + DESIGN_OK + " --out {nodir}", "--out", "does not exist; create it first"),
    case("design " + DESIGN_OK + " --out {ro}", "--out", "cannot write in"),
    # ------------------------------------------------------------------ design file with tables (issue 16)
    case("design {in:nph_duration0.yaml} --out {out}", "table 'enroll_rate', row 3, column 'duration'", "> 0"),
    case("design {in:nph_rate_negative.yaml} --out {out}", "table 'fail_rate', row 1, column 'fail_rate'", ">= 0"),
    case("design {in:nph_dropout_negative.yaml} --out {out}", "table 'fail_rate', row 2, column 'dropout_rate'"),
    case("design {in:nph_hr0.yaml} --out {out}", "table 'fail_rate', row 2, column 'hr'", "HR of 0"),
    case("design {in:nph_not_open.yaml} --out {out}", "table 'fail_rate', row 2, column 'duration'", "open-ended"),
    case("design {in:nph_late.yaml} --out {out}", "looks.study_duration 6 years", "look 3 at 7 years"),
    case("design {in:nph_unreachable.yaml} --out {out}", "looks.events", "3000 events are never expected"),
    case("design {in:nph_power.yaml} --out {out}", "key 'power'", "(0, 1)"),
    case("design {in:nph_alpha.yaml} --out {out}", "key 'alpha'", "(0, 0.5]"),
    case("design {in:nph_maxcombo_one.yaml} --out {out}", "key 'test'", "at least two tests"),
    case("design {in:nph_no_unit.yaml} --out {out}", "key 'time_unit'"),
    case("design {in:nph_design.yaml} --hr 0.5 --out {out}", "--hr", "holds the whole design"),
    case("design {in:nph_design.yaml} --out {full}", "--out", "exists and is not empty; pass --overwrite"),
    case("design {in:nph_design.yaml} --format rtf", "--format rtf writes files: give --out"),
    case("design {in:nph_design.yaml} --out {out} --format pdf", "--format 'pdf'", "choose html, rtf or docx"),
    case("design " + DESIGN_OK + " --check-by-simulation 100", "--check-by-simulation", "design file of tables"),
    # ------------------------------------------------------------------ monitor
    case("monitor missing.yaml --events 60 --z 1.5", "design file 'missing.yaml' not found"),
    case("monitor {in:bomb.yaml} --events 60 --z 1.5", "bomb.yaml", "YAML limit exceeded"),
    case("monitor {in:syntax.yaml} --events 60 --z 1.5", "syntax.yaml", "YAML syntax error"),
    case(MONITOR + " --events 60,110 --z 1.5", "events", "z"),
    case(MONITOR + " --events abc --z 1.5", "--events", "'abc'"),
    case(MONITOR + " --events 60 --z abc", "--z", "'abc'"),
    case(MONITOR + " --events -5 --z 1.5", "events"),
    case(MONITOR + " --events 0 --z 1.5", "events"),
    case(MONITOR + " --events 110,60 --z 1.5,2", "events"),
    case(MONITOR + " --events 60", "give the observed looks"),
    case(MONITOR + " --looks-csv missing.csv", "--looks-csv 'missing.csv' not found"),
    case(MONITOR + " --looks-csv {in:looks_no_z.csv}", "looks_no_z.csv", "missing column(s) ['z']"),
    case(MONITOR + " --looks-csv {in:looks_text.csv}", "looks_text.csv", "column 'z' row 2", "'big'"),
    case(MONITOR + " --events 60 --z 1.5 --looks-csv {in:looks_no_z.csv}", "give one of"),
    case(MONITOR + " --data {in:monitor_data_bad.csv} --time months --event relapse --group arm --reference chemo",
         "look 1 data", "monitor_data_bad.csv", "column 'months' row 8: invalid time -1.0"),
    case(MONITOR + " --data {in:adtte_cut_third.xpt}", TRUNCATED, "adtte_cut_third.xpt"),
    case(MONITOR + " --data missing.csv", "missing.csv"),
    case(MONITOR + " --events 60 --z 1.5 --out {file}", "--out", "exists and is not a folder"),
    case(MONITOR + " --events 60 --z 1.5 --out {full}", "--out", "exists and is not empty"),
    case(MONITOR + " --events 60 --z 1.5 --out {nodir}", "--out", "does not exist"),
    case(MONITOR + " --events 60 --z 1.5 --out {ro}", "--out", "cannot write in"),
    # ------------------------------------------------------------------ simulate
    case(SIM + " --n-sims 0", "--n-sims must be a whole number >= 1, got 0"),
    case(SIM + " --n-sims -5", "--n-sims must be a whole number >= 1, got -5"),
    case(SIM + " --n-sims 1e13", "Invalid value for '--n-sims'"),
    case(SIM + " --n-sims 10000000000000", "--n-sims 10,000,000,000,000: the trials' records would need about",
         "8 GiB available", "use at most about"),
    case(SIM + " --n-sims 50000000", "--n-sims 50,000,000", "8 GiB available"),
    case(SIM + " --n-sims 2.5", "Invalid value for '--n-sims'"),
    case(SIM + " --workers 0", "--workers must be a whole number >= 1, got 0"),
    case(SIM + " --workers -1", "--workers must be a whole number >= 1, got -1"),
    case(SIM + " --workers 100000", "--workers 100,000: 100,000 worker processes would need about"),
    case(SIM + " --chunk-size 0", "--chunk-size must be a whole number >= 1, got 0"),
    case(SIM + " --chunk-size -3", "--chunk-size must be a whole number >= 1, got -3"),
    case(SIM + " --seed -1", "--seed must be a whole number >= 0, got -1"),
    case(SIM + " --sweep hazard_ratio", "--sweep 'hazard_ratio'", "expected NAME=V1,V2"),
    case(SIM + " --sweep hazard_ratio=abc", "--sweep", "'abc' is not a number"),
    case(SIM + " --sweep hazard_ratio=-1", "hazard_ratio must be a finite number > 0"),
    case(SIM + " --sweep nosuch=1", "--sweep", "nosuch"),
    case(SIM + " --sweep hazard_ratio=1 --sweep hazard_ratio=2", "--sweep", "'hazard_ratio' given twice"),
    case(SIM + " --landmarks abc", "--landmarks", "'abc'"),
    case(SIM + " --landmarks -1", "landmark"),
    case("simulate {in:scenario.yaml} --design missing.yaml", "design file 'missing.yaml' not found"),
    case("simulate {in:scenario.yaml} --design {in:bomb.yaml}", "design file", "bomb.yaml", "YAML limit exceeded"),
    case("simulate {in:scenario.yaml} --design {in:huge.yaml}", "design file", "huge.yaml", "more than the"),
    case("simulate {in:scenario.yaml} --design {in:syntax.yaml}", "syntax.yaml", "YAML syntax error"),
    case("simulate {in:scenario.yaml} --design {in:list.yaml}", "list.yaml"),
    case("simulate {in:scenario.yaml} --design {in:sim_design_empty.yaml}", "sim_design_empty.yaml"),
    case("simulate {in:scenario.yaml} --design {in:sim_design_events_down.yaml}", "sim_design_events_down.yaml",
         "events"),
    case("simulate {in:scenario.yaml} --design {in:sim_design_alpha.yaml}", "sim_design_alpha.yaml", "alpha"),
    case("simulate {in:scenario.yaml} --design {in:sim_design_unknown.yaml}", "sim_design_unknown.yaml",
         "spending"),
    case("simulate nosuch --design {in:sim_design.yaml}", "unknown scenario 'nosuch'"),
    case("simulate {in:bomb.yaml} --design {in:sim_design.yaml}", "scenario file", "bomb.yaml", "YAML limit"),
    case("simulate {in:scenario_unknown_key.yaml} --design {in:sim_design.yaml}", "colour"),
    case("simulate {in:scenario_negative_n.yaml} --design {in:sim_design.yaml}", "accrual.n"),
    case(SIM + " --resume", "--resume needs --out"),
    case(SIM + " --out {file}", "--out", "exists and is not a folder"),
    case(SIM + " --out {full}", "--out", "exists and is not empty"),
    case(SIM + " --out {nodir}", "--out", "does not exist; create it first"),
    case(SIM + " --out {ro}", "--out", "cannot write in"),
    case(SIM + " --out .", "--out '.' is the current folder"),
    case(SIM + " --out {out} --test wilcoxon", "--test", "unknown test 'wilcoxon'", "known tests: logrank"),
    case(SIM + " --out {out} --test 'fh(-1,0)'", "--test", "rho and gamma must be >= 0", "known tests"),
    case(SIM + " --out {out} --test 'fh(a,0.5)'", "--test", "rho 'a' is not a number"),
    case(SIM + " --out {out} --test 'fh(0)'", "--test", "fh takes two numbers"),
    case(SIM + " --out {out} --test 'maxcombo(fh(0,0))'", "--test", "maxcombo needs at least two"),
    case(SIM + " --out {out} --test 'rmst(100y)'", "rmst(100y)", "beyond the follow-up any look"),
    case(SIM + " --out {out} --test 'milestone(60y)'", "milestone(60y)", "beyond the follow-up any look"),
    case(SIM + " --out {out} --test 'rmst(0y)'", "--test", "tau must be a time > 0"),
    case(SIM + " --out {out} --test logrank --test logrank", "--test", "repeats"),
    case(SIM + " --out {out} --test logrank --decision-test gehan", "--decision-test", "unknown test 'gehan'"),
    case("simulate {in:scenario.yaml} --design {in:sim_design_test.yaml}", "sim_design_test.yaml",
         "unknown test 'gehan'", "known tests"),
    # ------------------------------------------------------------------ classify
    case("classify missing.csv", "cohort file 'missing.csv' not found"),
    case("classify {in:cohort.xlsx}", "cohort.xlsx", "unsupported type '.xlsx'"),
    case("classify {in:cohort_age_negative.csv}", "row 4", "column 'age_years'", "-2"),
    case("classify {in:cohort_age_text.csv}", "row 2", "column 'age_years'", "'four' is not a number"),
    case("classify {in:cohort_wbc_text.csv}", "row 5", "column 'wbc_per_ul'", "'lots'"),
    case("classify {in:cohort_sex.csv}", "row 3", "column 'sex'", "'X'"),
    case("classify {in:cohort_cytogenetics.csv}", "row 6", "column 'cytogenetics'", "'t(9;22)x'"),
    case("classify {in:cohort_cns.csv}", "row 7", "column 'cns_status'", "'CNS9'"),
    case("classify {in:cohort_testicular.csv}", "row 8", "column 'testicular'", "'maybe'"),
    case("classify {in:cohort_mrd.csv}", "row 9", "column 'eoi_bm_flow_mrd_pct'", "250"),
    case("classify {in:cohort_hts.csv}", "row 10", "column 'eoi_hts_mrd'", "'positive'"),
    case("classify {in:cohort_duplicate_id.csv}", "row 2", "duplicate id 'S01'"),
    case("classify {in:cohort_blank_id.csv}", "row 3", "column 'patient_id': blank"),
    case("classify {in:cohort_missing_column.csv}", "missing column(s) ['sex']"),
    case("classify {in:cohort_header_only.csv}", "cohort: no rows"),
    case("classify {in:empty.csv}", "empty.csv"),
    case("classify {in:binary.csv}", "binary.csv"),
    case("classify {in:cohort.csv} --rules {in:bomb.yaml}", "rules file", "bomb.yaml", "YAML limit exceeded"),
    case("classify {in:cohort.csv} --rules {in:huge.yaml}", "rules file", "huge.yaml", "more than the"),
    case("classify {in:cohort.csv} --rules {in:syntax.yaml}", "rules file", "YAML syntax error"),
    case("classify {in:cohort.csv} --rules {in:rules_no_order.yaml}", "rules_no_order.yaml", "'order'"),
    case("classify {in:cohort.csv} --rules missing.yaml", "rules file 'missing.yaml' not found"),
    case("classify {in:cohort.csv} --rules /dev/zero", "rules file '/dev/zero' is not a file"),
    case("classify {in:cohort.csv} --out {full}", "--out", "full' is a folder; give a file name"),
    case("classify {in:cohort.csv} --out {file}", "--out", "taken.txt' exists; pass --overwrite"),
    case("classify {in:cohort.csv} --out {nodir}.csv", "--out", "does not exist; create it first"),
    case("classify {in:cohort.csv} --out {ro}.csv", "--out", "cannot write in"),
    # ------------------------------------------------------------------ benefit
    case("benefit --method bootstrap --draws 0", "--draws must be a whole number >= 1, got 0"),
    case("benefit --method bootstrap --draws -5", "--draws must be a whole number >= 1, got -5"),
    case("benefit --method bootstrap --draws 1000000000000", "--draws 1,000,000,000,000: the bootstrap draws would "
         "need about", "8 GiB available"),
    case("benefit --synthetic 0 --out {out}", "--synthetic must be a whole number >= 1, got 0"),
    case("benefit --synthetic -5 --out {out}", "--synthetic must be a whole number >= 1, got -5"),
    case("benefit --synthetic 1000000000000 --out {out}", "--synthetic 1,000,000,000,000", "8 GiB available"),
    case("benefit --synthetic abc --out {out}", "Invalid value for '--synthetic'"),
    case("benefit --level 0", "level"),
    case("benefit --level 1.5", "level"),
    case("benefit --level -1", "level"),
    case("benefit --method foo", "method", "'foo'"),
    case("benefit --group XYZ", "group", "'XYZ'"),
    case("benefit --seed -1", "--seed must be a whole number >= 0, got -1"),
    case("benefit {in:cohort.csv} --synthetic 10 --out {out}", "not both"),
    case("benefit {in:cohort.csv}", "cohort mode needs --out"),
    case("benefit {in:cohort_sex.csv} --out {out}", "row 3", "column 'sex'"),
    case("benefit {in:cohort.csv} --rules {in:bomb.yaml} --out {out}", "rules file", "YAML limit exceeded"),
    case("benefit {in:cohort.csv} --out {file}", "--out", "exists and is not a folder"),
    case("benefit {in:cohort.csv} --out {full}", "--out", "exists and is not empty"),
    case("benefit {in:cohort.csv} --out {nodir}", "--out", "does not exist"),
    case("benefit {in:cohort.csv} --out {ro}", "--out", "cannot write in"),
    case("benefit --synthetic 20 --out {under_file}", "--out", "is a file, not a folder"),
    # ------------------------------------------------------------------ calendar
    case("calendar --start 2025-13-01 --arm B --out {out}", "2025-13-01"),
    case("calendar --start tomorrow --arm B --out {out}", "'tomorrow'"),
    case("calendar --start 2025-03-03 --arm Z --out {out}", "arm", "'Z'"),
    case(CAL + " --bag-hours 50 --out {out}", "bag", "50"),
    case(CAL + " --bag-hours 0 --out {out}", "bag", "0"),
    case(CAL + " --bag-hours -24 --out {out}", "bag", "-24"),
    case(CAL + " --distance-km -1 --out {out}", "distance", "-1"),
    case(CAL + " --speed-kmh 0 --out {out}", "speed", "0"),
    case(CAL + " --speed-kmh -5 --out {out}", "speed", "-5"),
    case(CAL + " --infusion-start 25:00 --out {out}", "'25:00'"),
    case(CAL + " --infusion-start ten --out {out}", "'ten'"),
    case("calendar --start 2025-03-03 --arm B --sex X --out {out}", "sex", "'X'"),
    case("calendar --start 2025-03-03 --cohort {in:cohort.csv} --out {out}", "--cohort and --patient-id go together"),
    case("calendar --start 2025-03-03 --patient-id S01 --out {out}", "--cohort and --patient-id go together"),
    case("calendar --start 2025-03-03 --cohort {in:cohort.csv} --patient-id NOBODY --out {out}",
         "--patient-id 'NOBODY' not found"),
    case("calendar --start 2025-03-03 --cohort {in:cohort_sex.csv} --patient-id S01 --out {out}", "row 3",
         "column 'sex'"),
    case(CAL + " --out {file}", "--out", "exists and is not a folder"),
    case(CAL + " --out {full}", "--out", "exists and is not empty"),
    case(CAL + " --out {full} --overwrite", "--out", "holds files survtrial did not write ('keep.txt')"),
    case(CAL + " --out {nodir}", "--out", "does not exist"),
    case(CAL + " --out {ro}", "--out", "cannot write in"),
    case(CAL + " --out .", "--out '.' is the current folder"),
    # ------------------------------------------------------------------ reconstruct
    case("reconstruct --curve {in:curve_time_text.csv} --at-risk {in:at_risk.csv} --out {out}", "curve_time_text.csv",
         "row 4", "column 'time'", "'later' is not a number"),
    case("reconstruct --curve {in:curve_survival_up.csv} --at-risk {in:at_risk.csv} --out {out}", "row 1",
         "column 'time': negative time -0.512", "--clean"),
    case("reconstruct --curve {in:curve_blank_arm.csv} --at-risk {in:at_risk.csv} --out {out}", "row 3",
         "column 'arm': blank arm"),
    case("reconstruct --curve {in:curve_no_survival.csv} --at-risk {in:at_risk.csv} --out {out}", "survival"),
    case("reconstruct --curve {in:curve_survival_blank.csv} --at-risk {in:at_risk.csv} --out {out}", "row 8",
         "column 'survival'"),
    case("reconstruct --curve {in:curve.csv} --at-risk {in:at_risk_fraction.csv} --clean --out {out}", "row 2",
         "column 'n_risk'", "121.5"),
    case("reconstruct --curve {in:curve.csv} --at-risk {in:at_risk_up.csv} --clean --out {out}", "row 3",
         "column 'n_risk'"),
    case("reconstruct --curve {in:curve.csv} --at-risk {in:at_risk_text.csv} --clean --out {out}", "row 2",
         "column 'n_risk'", "'many'"),
    case("reconstruct --curve {in:empty.csv} --at-risk {in:at_risk.csv} --out {out}", "empty.csv"),
    case("reconstruct --curve {in:adsl_cut_half.xpt} --at-risk {in:at_risk.csv} --out {out}", TRUNCATED),
    case("reconstruct --curve missing.csv --at-risk {in:at_risk.csv} --out {out}", "file not found", "missing.csv"),
    case(REC + " --events radiotherapy --out {out}", "--events 'radiotherapy'", "write arm=N"),
    case(REC + " --events radiotherapy=many --out {out}", "--events", "'many' is not a whole number"),
    case(REC + " --events radiotherapy=-4 --out {out}", "radiotherapy", "-4"),
    case(REC + " --events nosuch=3 --out {out}", "arm 'nosuch' is not in the curve"),
    case(REC + " --scale fraction --out {out}", "'fraction'", "proportion"),
    case(REC + " --out {file}", "--out", "exists and is not a folder"),
    case(REC + " --out {full}", "--out", "exists and is not empty"),
    case(REC + " --out {full} --overwrite", "--out", "holds files survtrial did not write"),
    case(REC + " --out {nodir}", "--out", "does not exist"),
    case(REC + " --out {ro}", "--out", "cannot write in"),
    case(REC + " --out .", "--out '.' is the current folder"),
    # ------------------------------------------------------------------ app
    case("app --port 0", "--port 0: give a TCP port between 1 and 65535"),
    case("app --port 70000", "--port 70000: give a TCP port between 1 and 65535"),
    case("app --port -1", "--port -1: give a TCP port between 1 and 65535"),
    case("app --port abc", "Invalid value for '--port'"),
]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    return make_inputs(tmp_path_factory.mktemp("bad_inputs"))


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every entry below ``folder``: files with their bytes, folders as None."""
    out: dict[str, bytes | None] = {}
    for p in sorted(folder.rglob("*")):
        out[p.relative_to(folder).as_posix()] = p.read_bytes() if p.is_file() else None
    return out


def _unwritable(work: Path) -> Path:
    if os.geteuid() == 0:  # root writes through permissions; /sys refuses new entries even to root
        return Path("/sys/survtrial-harness")
    ro = work / "readonly"
    ro.mkdir()
    ro.chmod(0o555)
    return ro / "out"


def _command(c: Case, inputs: dict[str, Path], work: Path) -> tuple[list[str], Path | None]:
    (work / "taken.txt").write_text("a file that is in the way\n")
    (work / "full").mkdir()
    (work / "full" / "keep.txt").write_text("someone's file\n")
    ro = _unwritable(work)
    paths = {"out": work / "out", "file": work / "taken.txt", "full": work / "full",
             "nodir": work / "missing" / "out", "under_file": work / "taken.txt" / "out", "ro": ro,
             "in_dir": next(iter(inputs.values())).parent}

    def fill(m: re.Match) -> str:
        key = m.group(1)
        if key.startswith("in:"):
            return str(inputs[key[3:]])
        return str(paths[key])

    text = re.sub(r"\{([a-z_]+(?::[^}]+)?)\}", fill, c.command)
    return shlex.split(text), ro


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_bad_input_exits_2_names_the_problem_and_leaves_nothing(c, inputs, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", None)
    monkeypatch.setenv("SURVTRIAL_MEMORY_LIMIT", MEMORY_LIMIT)
    monkeypatch.setenv("COLUMNS", "1000")  # rich wraps nothing: fragments are found whole
    argv, ro = _command(c, inputs, work)
    before = _snapshot(work)
    result = CliRunner().invoke(app, argv)
    output = result.output
    flat = " ".join(output.split())
    assert result.exit_code == 2, f"exit {result.exit_code}: {output}\n{result.exception!r}"
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output
    missing = [f for f in c.fragments if f not in flat]
    assert not missing, f"message lacks {missing}: {flat}"
    assert _snapshot(work) == before, "the working folder changed"
    assert list(temp.iterdir()) == [], "temporary files left behind"
    if ro is not None and ro.is_absolute() and not str(ro).startswith(str(work)):
        assert not ro.exists()


def test_the_harness_is_large_and_covers_every_command():
    from survtrial.cli import app as typer_app

    commands = {cmd.name or cmd.callback.__name__ for cmd in typer_app.registered_commands}
    covered = {c.command.split()[0] for c in CASES}
    assert commands <= covered, f"commands without bad-input cases: {sorted(commands - covered)}"
    assert len(CASES) >= 150
    assert len({c.command for c in CASES}) == len(CASES), "a case is listed twice"
