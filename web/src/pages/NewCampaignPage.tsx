// Create a campaign in the planner (form and YAML, src/planner).
import { PlannerPage } from '../planner/PlannerPage';

export function NewCampaignPage() {
  return <PlannerPage />;
}
