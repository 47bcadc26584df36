// Package lambdatest runs Lambda functions locally for tests: the real
// bootstrap binary under the official Lambda Runtime Interface Emulator
// (RIE), and an SQS event source mapping stand-in that feeds it batches
// from a queue the way Lambda does. It is test support: production code
// must not import it.
//
// # Running a function
//
//	rie := lambdatest.BuildRIE(t)                   // the pinned emulator (go.mod tool directive)
//	boot := lambdatest.BuildBootstrap(t, "github.com/lambdaudit/lambdaudit/cmd/lambdaudit-lambda")
//	in := lambdatest.Start(t, lambdatest.Function{
//		RIE: rie, Bootstrap: boot,
//		Env:     map[string]string{"LAMBDAUDIT_HANDLER": "plan", "AWS_ENDPOINT_URL_SQS": motoURL},
//		Timeout: 10 * time.Second, MemoryMB: 256,
//	})
//	out, err := in.Invoke(ctx, []byte(`{"kind":"plan"}`))
//
// Each Instance is one emulator process on free local ports
// (--runtime-interface-emulator-address for invocations,
// --runtime-api-address for the Runtime API the bootstrap polls), running
// the bootstrap as its child in the bootstrap's directory, as Lambda runs
// /var/task/bootstrap. No Docker, root or fixed path is needed.
//
// What the emulator does, and so what a test sees:
//   - The function's environment is Function.Env plus what Lambda sets
//     (AWS_LAMBDA_FUNCTION_NAME, _MEMORY_SIZE, _TIMEOUT, _VERSION,
//     AWS_REGION, LAMBDA_TASK_ROOT, TZ, AWS_LAMBDA_RUNTIME_API) and PATH;
//     never the test process's environment. Credentials for the sim or
//     moto go in Env (AWS_ACCESS_KEY_ID, …), endpoints through the SDK's
//     AWS_ENDPOINT_URL_<SERVICE> variables.
//   - The bootstrap starts on the first invocation (init, then invoke);
//     its context deadline is the function timeout away
//     (Lambda-Runtime-Deadline-Ms), so a handler's safety margin works.
//   - Function.Timeout is whole seconds (AWS_LAMBDA_FUNCTION_TIMEOUT).
//     At the timeout the emulator SIGKILLs the runtime and answers
//     "Task timed out after N.00 seconds": Invoke returns a
//     *FunctionError with Type Sandbox.Timedout. The next invocation
//     starts a fresh runtime (a cold start), as on Lambda.
//   - A handler error comes back as the runtime's error document
//     ({"errorMessage","errorType"}, status 200, without Lambda's
//     X-Amz-Function-Error header): Invoke returns a *FunctionError
//     with that type. A runtime that exits mid-invocation gives status
//     502 and Type Runtime.ExitError; the next invocation starts it again.
//   - Memory is not limited: MemoryMB only sets the variable. PeakRSS
//     reports the bootstrap's VmHWM so a test can hold it to the size.
//   - One invocation at a time per instance; concurrent Invoke calls
//     queue. For N concurrent workers start N instances.
//
// Kill SIGKILLs the emulator and the bootstrap at once, the "execution
// environment died mid-invocation" fault: the invocation in flight and
// every later one fail with ErrKilled.
//
// # Feeding it from SQS
//
// ESM polls an SQS queue (moto_server in tests) and invokes instances
// with events.SQSEvent batches as Lambda's event source mapping does;
// see ESM for what it honours and how it treats failures.
//
//	client, queueURL, dlqURL := simtest.MotoSQS(t, simtest.MotoQueue{FIFO: true, MaxReceiveCount: 3, VisibilityTimeout: 2 * time.Second})
//	fn := lambdatest.Function{RIE: rie, Bootstrap: boot, Timeout: time.Second, Env: env}
//	esm := &lambdatest.ESM{
//		Client: client, QueueURL: queueURL,
//		BatchSize: 10, MaximumConcurrency: 4, ReportBatchItemFailures: true,
//		NewInstance: func() (*lambdatest.Instance, error) { return lambdatest.TryStart(t, fn) },
//		IdleTimeout: time.Second, // stop once the queue is empty, in flight included
//		OnInvoke: func(in *lambdatest.Instance, ev events.SQSEvent) { … }, // e.g. go func() { time.Sleep(d); in.Kill() }()
//	}
//	err := esm.Run(ctx) // nil once idle; esm.Stats() has the counters
//
// Keep the queue's visibility timeout above the function timeout (as
// Lambda requires) and short (whole seconds: 1–2s) so redeliveries come
// quickly; maxReceiveCount counts every receive, including those whose
// batch failed because of another record.
package lambdatest
