-- wrk script: POST one new ClusterRoleBinding per request, named <prefix>-<thread>-<counter> so that every request
-- creates (201) rather than conflicts (409). The prefix comes after `--` on wrk's command line, one per run.
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  prefix = args[1] or "bench"
  counter = 0
end

function request()
  counter = counter + 1
  local n = id .. "-" .. counter
  local body = '{"metadata":{"name":"' .. prefix .. '-' .. n .. '"},"subjects":[{"kind":"User","name":"u' .. n ..
    '"}],"roleRef":{"kind":"ClusterRole","name":"view"}}'
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, body)
end
