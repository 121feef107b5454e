"""Tests of the code generator (scripts/)."""
