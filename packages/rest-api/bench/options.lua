wrk.method = "OPTIONS"
