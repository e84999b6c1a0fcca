-- wrk: send pre-signed requests, each once (a callback's token, an API call's OAuth nonce may
-- not be used twice). The file named by the first argument holds one request a line, tab
-- separated: method, path, body (may be empty), then headers as "Name: value". Every wrk
-- thread takes its own share of the lines; the second argument is the number of wrk threads.
local threads = 0
local requests = {}
local next_one = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

local function split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("(.-)\t") do
    fields[#fields + 1] = field
  end
  return fields
end

function init(args)
  local path, count = args[1], tonumber(args[2])
  local index = 0
  for line in io.lines(path) do
    if index % count == id then
      local fields = split(line)
      local headers = {}
      for n = 4, #fields do
        local name, value = fields[n]:match("^(.-): (.*)$")
        headers[name] = value
      end
      local body = fields[3] ~= "" and fields[3] or nil
      requests[#requests + 1] = wrk.format(fields[1], fields[2], headers, body)
    end
    index = index + 1
  end
end

function request()
  next_one = next_one % #requests + 1
  return requests[next_one]
end
