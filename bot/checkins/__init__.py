"""Weekly check-ins: ship Tuesday, measure Thursday, iterate Friday, exactly once, in each channel's time zone.

Pure core (no Slack, no database):
  weeks      ISO week keys ("2026-W10") that tie one week's prompts together
  schedule   a channel's schedule as data; DST-safe due times, catch-up windows, skips
  items      ship items and their measured results (late results keep their week; edits keep
             the first measurement time)
  digest     the Friday figures: shipped, share measured, median days to measure, streak, effort by
             stage, findings (empty week, nothing measured, no next step, collection without feedback,
             slow measurement), the 12-week trend
  chart      the trend as a PNG (matplotlib, Agg, no pyplot state)
  replies    thread replies understood (`what | stage | metric`, `#2 moved +3 next: scale`)
  evidence   what measured check-ins change in the channel's loop map
  compose    what each message says, as data, from stored rows (to post and to update)
  posting    the interface the dispatcher posts through (the Slack layer implements it), and its failures

With storage (and Slack only through `posting`):
  records    check-in rows as plain data and back; the storage steps that need the schedule math
  dispatch   one pass: write each due prompt's key, post, record the ts; recover dead or failed claims
  scheduler  the loop inside serve/run, driven by the injected clock
  service    what listeners, the scheduler and the CLI call
"""
