"""Scanners: one module per fact domain, each with `scan(inv) -> facts`.

Scanners look and never act: no imports of the project's modules, no running
its code, no judgement (that is the rules' job). Facts are frozen dataclasses.
"""
