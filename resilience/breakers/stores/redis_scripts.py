"""The Redis store's Lua script: the state machine of machine.py, atomic inside Redis.

One script, five operations (ARGV[1]): a = acquire, r = record, s = snapshot, x = reset,
h = hold (ARGV[4]: milliseconds to stay open, already capped by the caller). Every
call is one EVALSHA, so each operation is one round trip and no other client sees a half-done
change. Times come from Redis' own clock (TIME) so processes on different machines agree;
ARGV[3] may carry a time in milliseconds instead, which only tests use (an injected clock).
TIME is only read when the operation needs it, which a success or failure recorded while
CLOSED with a count window does not (unless it trips the breaker).

Layout, chosen for the cost of the hot path (a record while CLOSED is one GET and two SETRANGE):
KEYS[1] is a string: 14 little-endian doubles (consecutive failures, ring position, calls,
failures, slow -- the fields a record while CLOSED changes, first so that it rewrites 40 bytes --
then state, generation, opened at, open until, trips, trial successes, lease counter, window
type, window size), followed for a count window by one byte per slot ('0' empty, else
'1' + 2*failed + 4*slow). KEYS[2] is the time window: a list of "second:calls:failures:slow"
buckets. KEYS[3] holds the half-open leases (id -> expiry ms). ARGV[2] is the policy packed as
13 doubles (config.BreakerPolicy.wire), ARGV[3] the test clock or ""; record adds ARGV[4]
generation, ARGV[5] lease, ARGV[6] outcome (1 success, 2 failure, 3 ignored), ARGV[7] slow
(0/1). The arguments that do not change between calls come first, so the store can keep the
start of each command ready-encoded.

Replies of a, r and x: {admitted, state, gen, lease, retry_ms}, followed when the state changed
by {from, to, reason, calls, failures, slow, consecutive, trips, open_ms}; the commonest reply
(admitted, no lease, nothing to wait for, no change) is the single integer gen * 4 + state.
Reply of s: {state, gen, calls, failures, slow, consecutive, trips, retry_ms, active_trials,
trial_successes, opened_at_ms, now_ms}.
"""

import hashlib

SCRIPT = """
local op = ARGV[1]
local HEADER = '<dddddddddddddd'
local HOT = '<ddddd'
local now = tonumber(ARGV[3])
local function clock()
  if not now then
    local t = redis.call('TIME')
    now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return now
end
local metrics_only, ft, frt, tw, wsize, minc, srt, rec, backoff, recmax, homax, sthr, howait =
  struct.unpack('<ddddddddddddd', ARGV[2])

local cf, pos, n, nf, ns, st, gen, oa, ou, tr, hs, ls, wt, ws =
  0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, -1, 0
local stored = redis.call('GET', KEYS[1])
local ring_size = 0
if stored then
  cf, pos, n, nf, ns, st, gen, oa, ou, tr, hs, ls, wt, ws = struct.unpack(HEADER, stored)
  ring_size = #stored - 112
else
  stored = ''
end
-- Writes: the header always (if anything changed); the ring as one changed byte (slot >= 0)
-- or, after it was cleared, as a whole new string (rebuilt = true).
local slot, slot_byte, rebuilt = -1, '', false
local dirty = false  -- the counters (first 5 header fields) changed
local cold = false  -- any other header field changed
local moved = false
local t_from, t_to, t_reason, t_n, t_nf, t_ns, t_cf, open_for = -1, -1, 0, 0, 0, 0, 0, 0
local BUCKET = '^(%-?%d+):(%d+):(%d+):(%d+)$'

local function clear_window()
  wt = tw; ws = wsize; pos = 0; n = 0; nf = 0; ns = 0
  rebuilt = true; slot = -1
  if tw == 1 then
    ring_size = 0
    redis.call('DEL', KEYS[2])
  else
    ring_size = wsize
  end
end

-- Returns true when the outcome may have raised a rate (see machine.py: when rules are judged).
local function add(failed, slow)
  local grew = true
  if wt ~= tw or ws ~= wsize or (tw == 0 and ring_size ~= wsize) then clear_window() end
  if tw == 1 then
    local sec = math.floor(clock() / 1000)
    local horizon = sec - wsize
    while true do
      local head = redis.call('LINDEX', KEYS[2], 0)
      if not head then break end
      local bs, c, fl, s = string.match(head, BUCKET)
      if tonumber(bs) > horizon then break end
      redis.call('LPOP', KEYS[2])
      n = n - tonumber(c); nf = nf - tonumber(fl); ns = ns - tonumber(s)
    end
    local tail = redis.call('LINDEX', KEYS[2], -1)
    local merged = false
    if tail then
      local bs, c, fl, s = string.match(tail, BUCKET)
      if tonumber(bs) >= sec then
        redis.call('LSET', KEYS[2], -1, bs .. ':' .. (tonumber(c) + 1) .. ':' ..
          (tonumber(fl) + failed) .. ':' .. (tonumber(s) + slow))
        merged = true
      end
    end
    if not merged then
      redis.call('RPUSH', KEYS[2], sec .. ':1:' .. failed .. ':' .. slow)
    end
  else
    local old = 0
    if not rebuilt then old = string.byte(stored, 113 + pos) - 48 end
    if old >= 1 then
      n = n - 1
      if math.floor(old / 2) % 2 == 1 then nf = nf - 1 end
      if old >= 4 then ns = ns - 1 end
      grew = false
    end
    slot = pos; slot_byte = string.char(49 + 2 * failed + 4 * slow)
    pos = (pos + 1) % wsize
  end
  n = n + 1; nf = nf + failed; ns = ns + slow
  dirty = true
  return grew
end

local function trip_reason()
  if ft > 0 and cf >= ft then return 1 end
  if n >= minc then
    if frt > 0 and nf * 100 >= frt * n then return 2 end
    if srt > 0 and ns * 100 >= srt * n then return 3 end
  end
  return 0
end

local function move(to, reason)
  moved = true
  t_from = st; t_to = to; t_reason = reason; t_n = n; t_nf = nf; t_ns = ns; t_cf = cf
  st = to; gen = gen + 1; hs = 0; open_for = 0; cold = true
  redis.call('DEL', KEYS[3])
  if to == 1 then
    tr = tr + 1; oa = clock()
    local e = math.min(math.max(tr - 1, 0), 64)
    ou = oa + math.floor(math.min(rec * backoff ^ e, recmax))
    open_for = ou - oa
  elseif to == 0 then
    tr = 0; cf = 0; oa = 0; ou = 0
    clear_window()
  end
  dirty = true
end

local function finish(admitted, lease, retry)
  if dirty then
    local header
    if cold or rebuilt then
      header = struct.pack(HEADER, cf, pos, n, nf, ns, st, gen, oa, ou, tr, hs, ls, wt, ws)
    else
      header = struct.pack(HOT, cf, pos, n, nf, ns)
    end
    if rebuilt then
      local ring = string.rep('0', ring_size)
      if slot >= 0 then
        ring = string.sub(ring, 1, slot) .. slot_byte .. string.sub(ring, slot + 2)
      end
      redis.call('SET', KEYS[1], header .. ring)
    else
      redis.call('SETRANGE', KEYS[1], 0, header)
      if slot >= 0 then redis.call('SETRANGE', KEYS[1], 112 + slot, slot_byte) end
    end
  end
  if moved then
    return {admitted, st, gen, lease, retry, t_from, t_to, t_reason, t_n, t_nf, t_ns, t_cf, tr,
      open_for}
  end
  if admitted == 1 and lease == '' and retry == 0 then
    return gen * 4 + st  -- the common reply as one integer: cheapest to build and to parse
  end
  return {admitted, st, gen, lease, retry}
end

if op == 'r' then
  local rgen = tonumber(ARGV[4])
  local lease = ARGV[5]
  local outcome = tonumber(ARGV[6])
  local slow = tonumber(ARGV[7])
  local valid = true
  if lease ~= '' then
    local expiry = tonumber(redis.call('HGET', KEYS[3], lease))
    if expiry then redis.call('HDEL', KEYS[3], lease) end
    valid = expiry ~= nil and expiry > clock()
  end
  if valid and outcome ~= 3 and (rgen == gen or rgen == -1) then
    local failed = 0
    if outcome == 2 then failed = 1 end
    if rgen == -1 or st == 0 then
      local grew = add(failed, slow)
      if failed == 1 then cf = cf + 1 else cf = 0 end
      if (failed == 1 or slow == 1 or grew) and rgen ~= -1 and metrics_only == 0 then
        local reason = trip_reason()
        if reason > 0 then move(1, reason) end
      end
    elseif st == 2 and lease ~= '' then
      if failed == 1 or (slow == 1 and srt > 0) then
        move(1, 4)
      else
        hs = hs + 1; dirty = true; cold = true
        if hs >= sthr then move(0, 5) end
      end
    end
  end
  local retry = 0
  if st == 1 then retry = ou - clock() end
  return finish(1, '', retry)
end

if op == 'a' then
  if st == 1 then
    if clock() < ou then return finish(0, '', ou - now) end
    move(2, 6)
  end
  if st == 2 then
    if hs >= sthr then
      move(0, 5)
      return finish(1, '', 0)
    end
    local all = redis.call('HGETALL', KEYS[3])
    local active = 0
    local earliest = nil
    for i = 1, #all, 2 do
      local expiry = tonumber(all[i + 1])
      if expiry <= clock() then
        redis.call('HDEL', KEYS[3], all[i])
      else
        active = active + 1
        if not earliest or expiry < earliest then earliest = expiry end
      end
    end
    if active + hs < homax then
      ls = ls + 1; dirty = true; cold = true
      local lease = gen .. ':' .. ls
      redis.call('HSET', KEYS[3], lease, clock() + howait)
      return finish(1, lease, 0)
    end
    local wait = 0
    if earliest then wait = earliest - clock() end
    return finish(0, '', wait)
  end
  return finish(1, '', 0)
end

if op == 'h' then
  local hold_until = clock() + tonumber(ARGV[4])
  if st ~= 1 then
    move(1, 8)
    ou = hold_until; open_for = ou - oa
  elseif hold_until > ou then
    ou = hold_until; dirty = true; cold = true
  end
  return finish(0, '', ou - now)
end

if op == 'x' then
  tr = 0
  move(0, 7)
  return finish(1, '', 0)
end

if op == 's' then
  local cn, cfl, cs = n, nf, ns
  if wt ~= tw or ws ~= wsize then
    cn, cfl, cs = 0, 0, 0
  elseif tw == 1 then
    cn, cfl, cs = 0, 0, 0
    local horizon = math.floor(clock() / 1000) - wsize
    for _, b in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
      local bs, c, fl, s = string.match(b, BUCKET)
      if tonumber(bs) > horizon then
        cn = cn + tonumber(c); cfl = cfl + tonumber(fl); cs = cs + tonumber(s)
      end
    end
  end
  local active = 0
  for _, expiry in ipairs(redis.call('HVALS', KEYS[3])) do
    if tonumber(expiry) > clock() then active = active + 1 end
  end
  local retry = 0
  if st == 1 then retry = math.max(ou - clock(), 0) end
  local opened = 0
  if st ~= 0 then opened = oa end
  return {st, gen, cn, cfl, cs, cf, tr, retry, active, hs, opened, clock()}
end

return redis.error_reply('unknown breaker operation ' .. tostring(op))
"""

SCRIPT_SHA = hashlib.sha1(SCRIPT.encode(), usedforsecurity=False).hexdigest()
