-- Ask the operator to retry: a fresh token in the pixelproof.dev/retry annotation.
-- Commands never edit spec, so the Application stays in sync with Git.
-- Argo CD offers os (time and date only) through require, never as a global.
local os = require("os")
local key = "pixelproof.dev/retry"
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
local token = os.date("!%Y-%m-%dT%H:%M:%SZ")
if obj.metadata.annotations[key] == token then
  token = token .. "-1"
end
obj.metadata.annotations[key] = token
return obj
