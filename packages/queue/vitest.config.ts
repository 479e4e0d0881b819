import { vzProject } from "../../tooling/vitest.shared";
export default vzProject("queue");
