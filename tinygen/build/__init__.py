"""Toolchains: compile a generated project for its board."""
