-- wrk: POST pre-signed callbacks, each once. Every wrk thread takes its own share of the lines
-- of the file named by the first argument (body, webhook-id, -timestamp, -signature; tab
-- separated); the second argument is the number of wrk threads.
local threads = 0
local requests = {}
local next_one = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  local path, count = args[1], tonumber(args[2])
  local index = 0
  for line in io.lines(path) do
    if index % count == id then
      local body, webhook_id, timestamp, signature = line:match("^(.-)\t(.-)\t(.-)\t(.-)$")
      requests[#requests + 1] = wrk.format("POST", "/connect/callbacks/sync", {
        ["Content-Type"] = "application/json",
        ["webhook-id"] = webhook_id,
        ["webhook-timestamp"] = timestamp,
        ["webhook-signature"] = signature,
      }, body)
    end
    index = index + 1
  end
end

function request()
  next_one = next_one % #requests + 1
  return requests[next_one]
end
