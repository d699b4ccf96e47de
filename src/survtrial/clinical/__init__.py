"""AALL1731 specifics: risk classification, absolute benefit, treatment calendar."""
