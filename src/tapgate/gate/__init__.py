"""`tapgate check`: the fail-closed gate over cfn-lint, checkov, cfn-guard and tapgate's own checks."""
