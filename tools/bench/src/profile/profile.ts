export interface ProfileOptions { workDir: string; secondaries: number; ops: number; outDir: string | null }
export async function runProfile(o: ProfileOptions): Promise<void> { void o; }
