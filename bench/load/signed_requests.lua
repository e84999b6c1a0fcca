-- wrk: send pre-signed API requests, each once (its OAuth nonce may not be used twice). Every
-- wrk thread takes its own share of the lines of the file named by the first argument
-- (method, path, Authorization header; tab separated); the second argument is the number of
-- wrk threads.
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
      local method, target, authorization = line:match("^(.-)\t(.-)\t(.-)$")
      requests[#requests + 1] = wrk.format(method, target, { ["Authorization"] = authorization })
    end
    index = index + 1
  end
end

function request()
  next_one = next_one % #requests + 1
  return requests[next_one]
end
