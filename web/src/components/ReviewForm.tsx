// The review of a finished campaign: the team's learnings (a completed campaign becomes reviewed), then Clone
// to start the next campaign from it with the test winners as defaults.
import { useState, type FormEvent } from 'react';
import { api, ApiError, type Campaign, type Report } from '../api';
import { navigate } from '../router';

export function ReviewForm({
  campaign,
  report,
  onSaved,
}: {
  campaign: Campaign;
  report: Report;
  onSaved: () => void;
}) {
  const [learnings, setLearnings] = useState(report.learnings?.text ?? '');
  const [name, setName] = useState(`${campaign.name} (next)`);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const act = async (e: FormEvent, what: 'review' | 'clone') => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (what === 'review') {
        await api.review(campaign.id, learnings);
        onSaved();
      } else {
        const c = await api.clone(campaign.id, name);
        navigate(`/campaigns/${encodeURIComponent(c.id)}`);
      }
    } catch (err) {
      setError(err instanceof ApiError || err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="review">
      <h2 id="review">Review</h2>
      <form onSubmit={(e) => void act(e, 'review')}>
        <label htmlFor="learnings">What the team learned</label>
        <textarea
          id="learnings"
          className="spec"
          rows={5}
          required
          value={learnings}
          onChange={(e) => setLearnings(e.target.value)}
        />
        <div className="actions">
          <button type="submit" className="primary" disabled={busy || !learnings.trim()}>
            Save learnings
          </button>
        </div>
      </form>
      {campaign.status === 'reviewed' && (
        <form className="filters" onSubmit={(e) => void act(e, 'clone')}>
          <label>
            Name of the next campaign
            <input required value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <button type="submit" disabled={busy}>
            Clone
          </button>
        </form>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </section>
  );
}
