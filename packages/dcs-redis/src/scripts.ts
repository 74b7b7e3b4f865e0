/**
 * The Lua scripts: every read-modify-write runs inside Redis atomically, so
 * nothing can change between the comparison (holder, version, existence)
 * and the write. Each stored key is a hash {value, version, session}; the
 * version comes from the cluster's counter (seeded from the server clock in
 * milliseconds when absent, so versions keep growing even after Redis lost
 * its data); every change is announced on the cluster's channel as JSON
 * `{"k": relative key, "v": new value or false, "e": existed before}`.
 *
 * KEYS[1] = index set, KEYS[2] = version counter, KEYS[3..] = target keys;
 * ARGV[1] = channel (= key prefix).
 */

const PRELUDE = `
local index, revision, channel = KEYS[1], KEYS[2], ARGV[1]
local function notify(rel, value, existed)
  redis.call('PUBLISH', channel, cjson.encode({k = rel, v = value, e = existed}))
end
local function next_version()
  if redis.call('EXISTS', revision) == 0 then
    local now = redis.call('TIME')
    redis.call('SET', revision, now[1] .. string.sub(string.format('%06d', tonumber(now[2])), 1, 3))
  end
  return redis.call('INCR', revision)
end
local function write(key, rel, value, session, ttl)
  local existed = redis.call('EXISTS', key) == 1
  local version = next_version()
  redis.call('HSET', key, 'value', value, 'version', version, 'session', session)
  if tonumber(ttl) > 0 then redis.call('PEXPIRE', key, ttl) else redis.call('PERSIST', key) end
  redis.call('SADD', index, rel)
  notify(rel, value, existed)
  return tostring(version)
end
`;

/** ARGV[2] = prefix. Returns {leader PTTL, {rel, value, version, session, ...}}; prunes expired names from the index. */
export const READ_SCRIPT = `
local prefix = ARGV[2]
local out = {}
for _, rel in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local fields = redis.pcall('HMGET', prefix .. rel, 'value', 'version', 'session')
  if type(fields) == 'table' and fields.err == nil and fields[1] then
    table.insert(out, rel)
    table.insert(out, fields[1])
    table.insert(out, fields[2] or '0')
    table.insert(out, fields[3] or '')
  elseif redis.call('EXISTS', prefix .. rel) == 0 then
    redis.call('SREM', KEYS[1], rel)
  end
end
return {redis.call('PTTL', prefix .. 'leader'), out}
`;

/**
 * ARGV: 2 rel, 3 value, 4 session, 5 ttl ms (0 = none), 6 mode, 7 expected version.
 * mode: set | create (absent only) | cas (version must equal) | touch (unchanged value and session: only
 * extend the expiry) | unless-equal (unchanged value: nothing). Returns {'ok'|'same'|'conflict', version|value}.
 */
export const PUT_SCRIPT = `${PRELUDE}
local key, rel, value, session, ttl, mode = KEYS[3], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local current = redis.call('HMGET', key, 'value', 'version', 'session')
if mode == 'create' and current[1] then return {'conflict', current[1]} end
if mode == 'cas' and (current[2] or '0') ~= ARGV[7] then return {'conflict', current[1] or ''} end
if (mode == 'touch' or mode == 'unless-equal') and current[1] == value and (mode ~= 'touch' or current[3] == session) then
  if mode == 'touch' then redis.call('PEXPIRE', key, ttl) end
  return {'same', current[2]}
end
return {'ok', write(key, rel, value, session, ttl)}
`;

/**
 * ARGV: 2 rel, 3 mode (any | cas | owner), 4 expected version (cas) or owner name (owner).
 * Returns {'ok'} | {'not-found'} | {'conflict', current value}.
 */
export const DELETE_SCRIPT = `${PRELUDE}
local key, rel, mode, expected = KEYS[3], ARGV[2], ARGV[3], ARGV[4]
local current = redis.call('HMGET', key, 'value', 'version')
if not current[1] then
  redis.call('SREM', index, rel)
  if mode == 'any' then return {'ok'} end
  if mode == 'cas' then return {'conflict', ''} end
  return {'not-found'}
end
if mode == 'cas' and current[2] ~= expected then return {'conflict', current[1]} end
if mode == 'owner' and current[1] ~= expected then return {'conflict', current[1]} end
redis.call('DEL', key)
redis.call('SREM', index, rel)
notify(rel, false, true)
return {'ok'}
`;

/** ARGV[2] = prefix. Deletes every indexed key and the index; the version counter stays (versions never go back). */
export const DELETE_ALL_SCRIPT = `${PRELUDE}
local prefix = ARGV[2]
for _, rel in ipairs(redis.call('SMEMBERS', index)) do redis.call('DEL', prefix .. rel) end
redis.call('DEL', index)
notify('leader', false, true)
return {'ok'}
`;

/**
 * The leader lock. KEYS[3] = leader, KEYS[4] = status, KEYS[5] = failsafe.
 * ARGV: 2 op (acquire | update | take), 3 our name, 4 our session, 5 ttl ms,
 * 6 status value ('' = none), 7 failsafe value ('' = none).
 * - acquire: create if absent; if it already holds our name on our session, extend it;
 * - update: only while the value is our name (absent = lost: it expired or Redis lost it);
 * - take: unconditional.
 * The expiry is set by the server (PEXPIRE ttl) in the same step as the holder check.
 * After a held update, /status and /failsafe are written when they differ.
 * Returns {'held'} or {'lost', owner or ''}.
 */
export const LOCK_SCRIPT = `${PRELUDE}
local leader, op, name, session, ttl = KEYS[3], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local current = redis.call('HMGET', leader, 'value', 'session')
if op == 'take' or (op == 'acquire' and not current[1]) then
  write(leader, 'leader', name, session, ttl)
  return {'held'}
end
if current[1] ~= name or (op == 'acquire' and current[2] ~= session) then return {'lost', current[1] or ''} end
if current[2] ~= session then write(leader, 'leader', name, session, ttl) else redis.call('PEXPIRE', leader, ttl) end
if op == 'update' then
  if ARGV[6] ~= '' and redis.call('HGET', KEYS[4], 'value') ~= ARGV[6] then write(KEYS[4], 'status', ARGV[6], '', 0) end
  if ARGV[7] ~= '' and redis.call('HGET', KEYS[5], 'value') ~= ARGV[7] then write(KEYS[5], 'failsafe', ARGV[7], '', 0) end
end
return {'held'}
`;
