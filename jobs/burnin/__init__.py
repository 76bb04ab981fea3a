"""Reading burned-in shot names, timecodes and frame counters, and using them to cut."""
