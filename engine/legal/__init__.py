"""Pure legal rules, no database: business-day calendar, PQRSD terms, suspension, prórroga, traslado."""
