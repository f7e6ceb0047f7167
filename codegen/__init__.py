"""Code generation pipeline: pull → normalize → generate → check.

Each step is a module runnable as ``python -m codegen <step>``.
"""
