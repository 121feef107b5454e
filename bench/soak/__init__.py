"""`make soak`: a bounded run of mixed traffic through HAProxy to two instances, one killed and restarted mid-run,
checked afterwards against the database (`python -m bench.soak`)."""
