import { vzProject } from "../../tooling/vitest.shared";
export default vzProject("parser-zarr");
