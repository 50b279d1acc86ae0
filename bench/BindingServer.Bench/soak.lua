-- wrk script of the soak mode: a steady mix that leaves the store the size it found it. Of every 20 requests of a
-- thread: 2 creates of a new ClusterRoleBinding, 2 deletes of ones this thread saw created (a GET when none is left),
-- 6 lists of 100 and 10 GETs of one. Every answer is meant to be a 2xx: a delete only names a binding whose create
-- was answered 201, so it cannot race its create on another connection.
-- After `--` on wrk's command line: a prefix unique to the run, and the name of the binding the GETs read.
local path = "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings"
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  prefix = args[1] or "soak"
  one = args[2] or "soak-0"
  -- The prefix as a Lua pattern (its '-' is a pattern character), to find created names in 201 bodies.
  created_name = '"name":"(' .. prefix:gsub("%-", "%%-") .. '%-[%d%-]+)"'
  counter = 0
  created = {}
  first, last = 1, 0
end

function request()
  counter = counter + 1
  local slot = counter % 20
  if slot < 2 then
    local n = id .. "-" .. counter
    local body = '{"metadata":{"name":"' .. prefix .. '-' .. n .. '"},"subjects":[{"kind":"User","name":"u' .. n ..
      '"}],"roleRef":{"kind":"ClusterRole","name":"view"}}'
    return wrk.format("POST", path, { ["Content-Type"] = "application/json" }, body)
  elseif slot < 4 and first <= last then
    local name = created[first]
    created[first] = nil
    first = first + 1
    return wrk.format("DELETE", path .. "/" .. name)
  elseif slot >= 4 and slot < 10 then
    return wrk.format("GET", path .. "?limit=100")
  end
  return wrk.format("GET", path .. "/" .. one)
end

-- A queue per thread of the names whose create was answered 201, oldest first.
function response(status, headers, body)
  if status == 201 then
    local name = body:match(created_name)
    if name then
      last = last + 1
      created[last] = name
    end
  end
end
