-- Which pixelproof commands Argo CD offers for a ModelRollout in its current status.
-- retry also reruns an evaluation that ended inconclusive (no GPU free, image pull
-- error) while the rollout holds.
local actions = {}
local phase = "Pending"
local inconclusive = false
if obj.status ~= nil then
  if obj.status.phase ~= nil then
    phase = obj.status.phase
  end
  if obj.status.lastEvaluation ~= nil then
    inconclusive = obj.status.lastEvaluation.state == "Inconclusive"
  end
end
local running = phase == "Pending" or phase == "Progressing" or phase == "Paused"
local ended_badly = phase == "RolledBack" or phase == "Failed"
actions["promote"] = {["disabled"] = not running}
actions["promote-full"] = {["disabled"] = not running}
actions["abort"] = {["disabled"] = not running}
actions["retry"] = {["disabled"] = not (ended_badly or (running and inconclusive))}
return actions
