"""Place resolution: names -> gazetteer -> mentions -> resolve -> incident_place; imports nothing above it."""
