// Every test file removes the temporary folders it made (checkpoints and weights run to GBs).
import { removeTmpDirs } from './paths';

afterAll(() => removeTmpDirs());
