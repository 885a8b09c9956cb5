"""Social evaluation (社会评价): the lists, the matches by credit code, public comments, findings."""
