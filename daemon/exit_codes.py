"""Exit codes, distinct so a supervisor (or a person) can tell why moodcam stopped."""

OK = 0
UNAVAILABLE = 1  # a valid profile whose enabled component cannot run on this machine
BAD_PROFILE = 2  # the profile itself is wrong: nothing started
CRASH = 70  # an unexpected error (EX_SOFTWARE)
