/** The queue: one row per job with status, per-stage progress bars, ETA, timing, splat count and actions. */
import type { Job } from '../../../shared/api/jobSchemas';
import { useStudio } from '../state/store';
import { cancelJob, duplicateJob, removeJob, retryJob, selectJob } from '../state/actions';
import { Button } from './Button';

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

function Progress({ job }: { job: Job }) {
  const p = job.progress;
  if (!p) return null;
  return (
    <div className="progress" data-testid="progress">
      <div className="bar overall" title={`${Math.round(p.fraction * 100)} %`}>
        <div style={{ width: `${p.fraction * 100}%` }} data-testid="progress-overall" data-fraction={p.fraction.toFixed(3)} />
      </div>
      <div className="stages">
        {p.stages.filter((s) => s.state !== 'skipped').map((s) => (
          <div key={s.id} className={`stage ${s.state}`} title={`${s.label}${s.part ? ` · ${s.part}` : ''}: ${Math.round(s.fraction * 100)} %`} data-testid={`stage-${s.id}`}>
            <span>{s.label}{s.part ? ` · ${s.part}` : ''}</span>
            <div className="bar"><div style={{ width: `${s.fraction * 100}%` }} /></div>
          </div>
        ))}
      </div>
      <div className="eta" data-testid="eta">{p.etaMs === null ? 'ETA after the first run' : `about ${seconds(p.etaMs)} left`}</div>
    </div>
  );
}

function JobRow({ job, selected }: { job: Job; selected: boolean }) {
  const running = job.status === 'running';
  const finished = job.status === 'done' || job.status === 'failed' || job.status === 'cancelled';
  const [frames, h, w] = job.settings.request.resolution;
  return (
    <li className={`job ${job.status} ${selected ? 'selected' : ''}`} data-testid="job" data-status={job.status} data-job-id={job.id} onClick={() => selectJob(job.id)}>
      <div className="thumb">{job.result?.thumbnail ? <img src={job.result.thumbnail} alt="" /> : <span>{job.status === 'done' ? '' : '…'}</span>}</div>
      <div className="job-main">
        <div className="job-title">
          <strong>{job.settings.label ?? 'scene'}</strong>
          <span className={`badge ${job.status}`} data-testid="job-status">{job.status}</span>
        </div>
        <div className="job-meta">{frames}×{h}×{w} · seed {job.settings.seed} · {job.settings.model}</div>
        {running && <Progress job={job} />}
        {job.status === 'done' && job.result && (
          <div className="job-meta" data-testid="job-result">
            {job.result.splatCount.toLocaleString('en-US')} splats · {seconds(job.result.totalMs)}
          </div>
        )}
        {job.status === 'failed' && job.error && <div className="problem" data-testid="job-error">{job.error.message}</div>}
        <div className="row actions" onClick={(e) => e.stopPropagation()}>
          <Button data-testid="cancel" onClick={() => void cancelJob(job.id)} disabledReason={finished ? `The job is already ${job.status}.` : null}>Cancel</Button>
          <Button data-testid="retry" onClick={() => void retryJob(job.id)} disabledReason={job.status === 'failed' || job.status === 'cancelled' ? null : 'Only failed or cancelled jobs can be retried.'}>Retry</Button>
          <Button data-testid="duplicate" onClick={() => duplicateJob(job.id)} disabledReason={finished ? null : 'Wait until the job has finished to reuse its settings.'}>Duplicate</Button>
          <Button data-testid="remove" onClick={() => void removeJob(job.id)} disabledReason={running ? 'Cancel the job before removing it.' : null}>Remove</Button>
        </div>
      </div>
    </li>
  );
}

export function QueuePanel() {
  const jobs = useStudio((s) => s.jobs);
  const selected = useStudio((s) => s.selectedJobId);
  return (
    <section className="panel queue-panel" data-testid="queue">
      <h2>Queue &amp; results <small>{jobs.length ? `${jobs.filter((j) => j.status === 'queued').length} waiting` : ''}</small></h2>
      {jobs.length === 0 ? <p className="hint">No jobs yet. Set up a prompt and press Generate.</p> : null}
      <ul className="jobs">
        {jobs.map((j) => <JobRow key={j.id} job={j} selected={j.id === selected} />)}
      </ul>
    </section>
  );
}
