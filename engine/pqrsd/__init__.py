"""PQRSD cases under Ley 1755 de 2015: radicación, the legal calendar and term table as data, recalculation."""
