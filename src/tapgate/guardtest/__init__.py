"""`tapgate guard-test`: `cfn-guard test` over directories of guard rules, for repos that keep their own."""
