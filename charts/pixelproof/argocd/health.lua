-- Argo CD health of a pixelproof ModelRollout, from its status.
-- Healthy: Succeeded. Progressing: Pending, Progressing, or a spec change the
-- operator has not seen yet. Suspended: Paused (waiting for a person, a review or a
-- timed pause), or waiting for a change window or the end of a freeze. Degraded:
-- RolledBack, Failed, or Stalled (a problem blocks progress).
local hs = {}

local function condition(status, kind)
  if status.conditions == nil then
    return nil
  end
  for _, c in ipairs(status.conditions) do
    if c.type == kind then
      return c
    end
  end
  return nil
end

local status = obj.status
if status == nil or status.phase == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the pixelproof operator to report status"
  return hs
end

local generation = obj.metadata.generation
if generation ~= nil and (status.observedGeneration or 0) < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
  return hs
end

local message = status.message or ""
local phase = status.phase
local weights = ""
if status.weights ~= nil then
  weights = " (stable " .. tostring(status.weights.stable or 0) .. "%, candidate " ..
    tostring(status.weights.candidate or 0) .. "%)"
end

if phase == "Succeeded" then
  hs.status = "Healthy"
  hs.message = "Candidate promoted" .. weights
elseif phase == "RolledBack" or phase == "Failed" then
  hs.status = "Degraded"
  hs.message = phase .. ": " .. (status.rollbackReason or message)
else
  local stalled = condition(status, "Stalled")
  if stalled ~= nil and stalled.status == "True" then
    hs.status = "Degraded"
    hs.message = "Stalled (" .. (stalled.reason or "") .. "): " .. (stalled.message or message)
  elseif status.windowHold ~= nil then
    local hold = status.windowHold
    local opens = hold.opensAt or "the freeze is lifted"
    hs.status = "Suspended"
    hs.message = "Waiting for the window until " .. opens .. " at step " ..
      tostring((status.currentStep or 0) + 1) .. weights .. ": " .. (hold.reason or "")
  elseif phase == "Paused" then
    hs.status = "Suspended"
    hs.message = "Paused at step " .. tostring((status.currentStep or 0) + 1) .. weights ..
      (message ~= "" and (": " .. message) or "")
  else
    hs.status = "Progressing"
    hs.message = phase .. " at step " .. tostring((status.currentStep or 0) + 1) .. weights ..
      (message ~= "" and (": " .. message) or "")
  end
end
return hs
