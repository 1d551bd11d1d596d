"""Working time: the national working-day calendar and deadline arithmetic (DESIGN §4 "Working days").

Deadlines are computed from data in the ``calendar_day`` table, never guessed: a limit that runs
past the loaded calendar is refused. Timers that fire reminders build on this package later.
"""
