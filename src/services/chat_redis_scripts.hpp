// The Lua scripts the room over Redis runs (EVAL): each is one atomic step, so nodes that run
// the same step at the same time cannot interleave inside it.
//
// Keys of a room R (all in one Redis database):
//   sockit:chat:R           the stream: entries {seq, node, client, text}, capped MAXLEN ~ N
//   sockit:chat:R:seq       the room's line counter; seq numbers the entries 1, 2, 3...
//   sockit:chat:R:members   hash "node/client" -> name, for /who and /nick
//   sockit:chat:R:guests    the guest-name counter (nodes take blocks of numbers)
//   sockit:chat:R:alive:N   exists while node N is alive (refreshed every second, expires)
#pragma once

namespace sockit::chat_detail {

// Appends one line with the next seq. The seq is what lets a node that fell behind more than
// MAXLEN say how many lines it missed (stream ids are times, not counts).
// KEYS: stream, seq. ARGV: maxlen, node, client, text. Returns the entry id.
inline constexpr const char* kAppendScript = R"lua(
local n = redis.call('INCR', KEYS[2])
return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*',
                  'seq', n, 'node', ARGV[2], 'client', ARGV[3], 'text', ARGV[4])
)lua";

// Removes the members of nodes that are gone (no alive key, or the node ARGV[3] itself, which
// is starting again) and appends a leave notice for each: a node killed with SIGKILL never says
// goodbye, so the survivors say it for it, once (the script is atomic).
// KEYS: members, stream, seq. ARGV: alive prefix, maxlen, node to drop ('' for none).
inline constexpr const char* kSweepScript = R"lua(
local all = redis.call('HGETALL', KEYS[1])
local gone = 0
for i = 1, #all, 2 do
  local node = string.match(all[i], '^(.*)/[^/]*$') or ''
  if node == ARGV[3] or redis.call('EXISTS', ARGV[1] .. node) == 0 then
    redis.call('HDEL', KEYS[1], all[i])
    local n = redis.call('INCR', KEYS[3])
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'seq', n, 'node', node,
               'client', '0', 'text', '* ' .. all[i + 1] .. ' left (node ' .. node .. ' is gone)')
    gone = gone + 1
  end
end
return gone
)lua";

// Lists the members of live nodes as name@node. KEYS: members. ARGV: alive prefix.
inline constexpr const char* kWhoScript = R"lua(
local all = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #all, 2 do
  local node = string.match(all[i], '^(.*)/[^/]*$') or ''
  if redis.call('EXISTS', ARGV[1] .. node) == 1 then out[#out + 1] = all[i + 1] .. '@' .. node end
end
return out
)lua";

// Takes a name unless another member holds it. KEYS: members. ARGV: field, name.
// Returns 1 when taken by the caller, 0 when someone else has it.
inline constexpr const char* kNickScript = R"lua(
local all = redis.call('HGETALL', KEYS[1])
for i = 2, #all, 2 do
  if all[i] == ARGV[2] and all[i - 1] ~= ARGV[1] then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
)lua";

// Forgets every member of node ARGV[1] (the node itself, back after an outage: whoever left
// meanwhile must not linger in /who; it then registers who is still there).
// KEYS: members. ARGV: "node/". Returns how many it forgot.
inline constexpr const char* kForgetNodeScript = R"lua(
local gone = 0
for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(f, 1, #ARGV[1]) == ARGV[1] then
    redis.call('HDEL', KEYS[1], f)
    gone = gone + 1
  end
end
return gone
)lua";

}  // namespace sockit::chat_detail
