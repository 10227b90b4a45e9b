"""Cross-checks between the template and the Lambda code: least privilege, drift, scale budgets."""
