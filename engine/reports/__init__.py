"""What is printed from the running model: the caracterización (to come: the PQRSD report and indicators)."""
