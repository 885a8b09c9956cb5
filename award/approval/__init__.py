"""Leading-group approval (领导小组审定): the vote on the frozen shortlist and its outcome."""
