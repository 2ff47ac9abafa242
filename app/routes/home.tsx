export default function Home() {
  return (
    <main className="mx-auto max-w-3xl p-8">
      <h1 className="text-3xl font-bold text-brand-700">Enclave</h1>
    </main>
  );
}
